#include "lpda/metrics/registry.hpp"
#include "lpda/core/enum_names.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

namespace lpda::metrics {
namespace detail {

enum family_type : int { counter_type = 0, gauge_type = 1, histogram_type = 2 };

struct series {
  double value = 0;
  std::vector<std::uint64_t> counts;  // histograms: bounds.size() + 1
  double sum = 0;
  std::uint64_t count = 0;
};

struct family_data {
  std::string name;
  std::string help;
  family_type type = counter_type;
  std::vector<std::string> labels;
  std::vector<double> bounds;
  std::map<label_values, series> samples;

  void check(const label_values& values) const {
    if (values.size() != labels.size())
      throw std::invalid_argument("metric " + name + " takes " + std::to_string(labels.size()) +
                                  " label values, got " + std::to_string(values.size()));
  }

  series& at(const label_values& values) {
    auto it = samples.find(values);
    if (it == samples.end()) {
      series s;
      if (type == histogram_type) s.counts.assign(bounds.size() + 1, 0);
      it = samples.emplace(values, std::move(s)).first;
    }
    return it->second;
  }

  const series* find(const label_values& values) const {
    auto it = samples.find(values);
    return it == samples.end() ? nullptr : &it->second;
  }
};

}  // namespace detail

namespace {

bool valid_name(std::string_view n, bool allow_colon) {
  if (n.empty()) return false;
  auto head = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (allow_colon && c == ':');
  };
  if (!head(n.front())) return false;
  return std::all_of(n.begin() + 1, n.end(),
                     [&](char c) { return head(c) || (c >= '0' && c <= '9'); });
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// `{a="x",b="y"` plus an optional extra pair, closed; "" when there are no labels at all.
std::string label_block(const std::vector<std::string>& names, const label_values& values,
                        std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

const char* type_name(detail::family_type t) {
  // Prometheus text format TYPE names; the names are literals, so data() ends in a NUL.
  static constexpr auto names =
      make_enum_names<detail::family_type>({{detail::counter_type, "counter"},
                                            {detail::gauge_type, "gauge"},
                                            {detail::histogram_type, "histogram"}});
  const auto n = names.name(t);
  return n.empty() ? "untyped" : n.data();
}

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  constexpr double exact_int = 9007199254740992.0;  // 2^53
  if (v == std::floor(v) && std::fabs(v) <= exact_int)
    return std::to_string(static_cast<std::int64_t>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

registry::registry() = default;
registry::~registry() = default;

detail::family_data& registry::add_family(std::string name, std::string help, int type,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  if (!valid_name(name, true)) throw std::invalid_argument("bad metric name \"" + name + "\"");
  for (const auto& l : labels) {
    if (!valid_name(l, false) || l.rfind("__", 0) == 0 || l == "le")
      throw std::invalid_argument("bad label name \"" + l + "\" for metric " + name);
  }
  if (type == detail::histogram_type) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
        throw std::invalid_argument("histogram " + name +
                                    ": bucket bounds must be finite and strictly ascending");
    }
  }
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    if (f->name == name) throw std::invalid_argument("metric " + name + " registered twice");
  }
  auto f = std::make_unique<detail::family_data>();
  f->name = std::move(name);
  f->help = std::move(help);
  f->type = static_cast<detail::family_type>(type);
  f->labels = std::move(labels);
  f->bounds = std::move(bounds);
  if (f->labels.empty()) f->at({});
  families_.push_back(std::move(f));
  return *families_.back();
}

counter_family registry::counter(std::string name, std::string help,
                                 std::vector<std::string> labels) {
  return {this, &add_family(std::move(name), std::move(help), detail::counter_type,
                            std::move(labels), {})};
}

gauge_family registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  return {this,
          &add_family(std::move(name), std::move(help), detail::gauge_type, std::move(labels), {})};
}

histogram_family registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  return {this, &add_family(std::move(name), std::move(help), detail::histogram_type,
                            std::move(labels), std::move(bounds))};
}

void registry::on_collect(std::function<void()> f) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(f));
}

std::string registry::render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& c : collectors) c();

  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f->name + ' ' + escape_help(f->help) + '\n';
    out += "# TYPE " + f->name + ' ' + type_name(f->type) + '\n';
    for (const auto& [values, s] : f->samples) {
      if (f->type != detail::histogram_type) {
        out += f->name + label_block(f->labels, values) + ' ' + format_value(s.value) + '\n';
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= f->bounds.size(); ++i) {
        cumulative += s.counts[i];
        const std::string le = i < f->bounds.size() ? format_value(f->bounds[i]) : "+Inf";
        out += f->name + "_bucket" + label_block(f->labels, values, "le", le) + ' ' +
               std::to_string(cumulative) + '\n';
      }
      out += f->name + "_sum" + label_block(f->labels, values) + ' ' + format_value(s.sum) + '\n';
      out += f->name + "_count" + label_block(f->labels, values) + ' ' + std::to_string(s.count) +
             '\n';
    }
  }
  return out;
}

void counter_family::inc(const label_values& values, double by) const {
  family_->check(values);
  if (!(by >= 0)) return;
  std::lock_guard lock(registry_->mutex_);
  family_->at(values).value += by;
}

double counter_family::value(const label_values& values) const {
  family_->check(values);
  std::lock_guard lock(registry_->mutex_);
  const auto* s = family_->find(values);
  return s != nullptr ? s->value : 0;
}

void gauge_family::set(const label_values& values, double v) const {
  family_->check(values);
  std::lock_guard lock(registry_->mutex_);
  family_->at(values).value = v;
}

void gauge_family::add(const label_values& values, double by) const {
  family_->check(values);
  std::lock_guard lock(registry_->mutex_);
  family_->at(values).value += by;
}

void gauge_family::remove(const label_values& values) const {
  family_->check(values);
  std::lock_guard lock(registry_->mutex_);
  family_->samples.erase(values);
}

double gauge_family::value(const label_values& values) const {
  family_->check(values);
  std::lock_guard lock(registry_->mutex_);
  const auto* s = family_->find(values);
  return s != nullptr ? s->value : 0;
}

void histogram_family::observe(const label_values& values, double v) const {
  family_->check(values);
  if (std::isnan(v)) return;
  const auto& b = family_->bounds;
  const auto bucket = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  std::lock_guard lock(registry_->mutex_);
  auto& s = family_->at(values);
  ++s.counts[bucket];
  s.sum += v;
  ++s.count;
}

histogram_snapshot histogram_family::snapshot(const label_values& values) const {
  family_->check(values);
  histogram_snapshot out;
  out.bounds = family_->bounds;
  std::lock_guard lock(registry_->mutex_);
  if (const auto* s = family_->find(values)) {
    out.counts = s->counts;
    out.sum = s->sum;
    out.count = s->count;
  } else {
    out.counts.assign(out.bounds.size() + 1, 0);
  }
  return out;
}

}  // namespace lpda::metrics

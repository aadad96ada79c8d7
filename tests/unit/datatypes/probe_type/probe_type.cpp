#include "probe_type.hpp"

#include "lpda/datatypes/registry.hpp"
#include "lpda/decode/record_mapping.hpp"

#include <array>
#include <stdexcept>

namespace lpda::test::probe_type {
namespace {

using decode::node;
using decode::node_info;
using decode::node_kind;
using decode::refusal;
using decode::scalar;

enum n : node { record, id, value, count };

constexpr std::array<node_info, n::count> node_table{{
    {node_kind::object, {}, decode::skip},
    {node_kind::scalar, "a string", decode::skip},
    {node_kind::scalar, "an integer", decode::skip},
}};

class mapping final : public decode::record_mapping_of<probe> {
 public:
  std::span<const node_info> nodes() const override { return node_table; }
  node record() const override { return n::record; }
  node child(node parent, std::string_view key) const override {
    if (parent != n::record) return decode::skip;
    if (key == "id") return n::id;
    if (key == "value") return n::value;
    return decode::skip;
  }
  void begin_document() override {}
  void begin_object(node) override {
    current_ = probe{};
    has_id_ = false;
  }
  refusal end_object(node) override {
    if (!has_id_) return ".id: missing";
    emit(std::move(current_));
    return std::nullopt;
  }
  void begin_array(node) override {}
  refusal assign(node where, const scalar& v) override {
    if (where == n::id) {
      if (v.k != scalar::kind::string) return decode::wrong_type("a string", v);
      current_.id.assign(v.s);
      has_id_ = true;
      return std::nullopt;
    }
    if (v.k == scalar::kind::null) {
      current_.value.reset();
      return std::nullopt;
    }
    std::int64_t x = 0;
    if (auto r = decode::to_int64(v, "an integer", x)) return r;
    current_.value = x;
    return std::nullopt;
  }

 private:
  probe current_;
  bool has_id_ = false;
};

std::string to_ndjson(const probe& p) {
  // Test ids are plain ASCII without quotes or backslashes.
  return R"({"id":")" + p.id + R"(","value":)" + (p.value ? std::to_string(*p.value) : "null") +
         "}";
}

std::string to_csv(const probe& p) {
  std::string out;
  decode::append_csv_field(out, p.id);
  out += ',';
  if (p.value) out += std::to_string(*p.value);
  return out;
}

}  // namespace

std::unique_ptr<decode::mapped_decoder<probe>> from_bytes(std::string bytes, decode::limits lim) {
  return std::make_unique<decode::mapped_decoder<probe>>(
      decode::content_reader::from_bytes(std::move(bytes), lim.max_inflated_bytes), lim,
      std::make_unique<mapping>());
}

result<std::unique_ptr<record_source>> open_file(const std::filesystem::path& path,
                                                 const decode::limits& lim) {
  auto d = decode::open_mapped_file<probe>(path, lim, std::make_unique<mapping>());
  if (!d) return d.error();
  return std::unique_ptr<record_source>(std::move(*d));
}

result<std::uint64_t> write_text(record_source& source, decode::text_format format,
                                 std::ostream& out) {
  static const decode::text_columns<probe> columns{"id,value", &to_ndjson, &to_csv};
  auto* probes = as_typed<probe>(source);
  if (!probes) throw std::logic_error("probe_type::write_text: not a source of probes");
  return decode::write_text(*probes, format, columns, out);
}

void register_type() {
  static const bool done = [] {
    datatypes::add(datatypes::data_type{name, "probes", &open_file, &write_text});
    return true;
  }();
  (void)done;
}

}  // namespace lpda::test::probe_type

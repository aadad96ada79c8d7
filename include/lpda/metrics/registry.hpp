#pragma once
/// A small thread-safe Prometheus registry: counter, gauge and histogram families with label sets,
/// rendered in the Prometheus text exposition format 0.0.4
/// (prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
///
/// Families are registered once at start-up; samples are updated from any thread (the network
/// thread and the store thread both do) and rendered by the endpoint. One mutex guards all values:
/// updates happen a few times per HTTP request or poll, far below where contention matters.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::metrics {

/// Label values of one series, in the order of the family's label names.
using label_values = std::vector<std::string>;

class registry;

namespace detail {
struct family_data;
}

/// A family of counters (monotonic, type `counter`). Cheap to copy; valid while its registry lives.
class counter_family {
 public:
  /// Adds `by` (≥ 0; a negative or NaN `by` is ignored, a counter never goes down) to the series
  /// `values`, creating it at 0 first. Throws `std::invalid_argument` when `values.size()` is not
  /// the family's label count.
  void inc(const label_values& values, double by = 1.0) const;
  /// The series' value; 0 when it does not exist yet. Same throw as `inc`.
  double value(const label_values& values) const;

 private:
  friend class registry;
  counter_family(registry* r, detail::family_data* f) : registry_(r), family_(f) {}
  registry* registry_;
  detail::family_data* family_;
};

/// A family of gauges (type `gauge`). Cheap to copy; valid while its registry lives.
class gauge_family {
 public:
  /// Sets the series `values` to `v`. Throws `std::invalid_argument` on a wrong label count.
  void set(const label_values& values, double v) const;
  /// Adds `by` (may be negative) to the series, creating it at 0 first. Same throw as `set`.
  void add(const label_values& values, double by) const;
  /// Removes the series (it disappears from the output); no-op when absent.
  void remove(const label_values& values) const;
  /// The series' value; 0 when it does not exist. Same throw as `set`.
  double value(const label_values& values) const;

 private:
  friend class registry;
  gauge_family(registry* r, detail::family_data* f) : registry_(r), family_(f) {}
  registry* registry_;
  detail::family_data* family_;
};

/// What one histogram series holds: per-bucket counts (not cumulative; the last entry counts the
/// observations above the largest bound, i.e. the `+Inf` bucket's own share), sum and count.
struct histogram_snapshot {
  std::vector<double> bounds;         ///< upper bounds, ascending, without +Inf
  std::vector<std::uint64_t> counts;  ///< `bounds.size() + 1` entries
  double sum = 0;
  std::uint64_t count = 0;
};

/// A family of histograms (type `histogram`). Cheap to copy; valid while its registry lives.
class histogram_family {
 public:
  /// Records `v` in the series `values`: the first bucket whose bound is ≥ `v` (Prometheus `le`
  /// semantics), `_sum` and `_count`. NaN is ignored. Throws `std::invalid_argument` on a wrong
  /// label count.
  void observe(const label_values& values, double v) const;
  /// A copy of the series; all zero when it does not exist. Same throw as `observe`.
  histogram_snapshot snapshot(const label_values& values) const;

 private:
  friend class registry;
  histogram_family(registry* r, detail::family_data* f) : registry_(r), family_(f) {}
  registry* registry_;
  detail::family_data* family_;
};

/// The set of metric families. Thread-safe: registration, updates and `render` may run on any
/// thread. Not copyable or movable (families point into it).
class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registers a counter family. `name` must match `[a-zA-Z_:][a-zA-Z0-9_:]*` and should end in
  /// `_total`; each label name must match `[a-zA-Z_][a-zA-Z0-9_]*`, not start with `__` and not be
  /// `le`. A family without labels starts with one series at 0. Throws `std::invalid_argument`
  /// for a bad or already registered name.
  counter_family counter(std::string name, std::string help, std::vector<std::string> labels = {});
  /// Registers a gauge family; same rules and throws as `counter`.
  gauge_family gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  /// Registers a histogram family with upper bucket `bounds` (finite, strictly ascending; `+Inf`
  /// is implicit). Same rules as `counter`; also throws `std::invalid_argument` for bad bounds.
  histogram_family histogram(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<double> bounds);

  /// Registers a function that `render` calls first (outside the registry's lock), e.g. to set
  /// gauges that depend on the current time.
  void on_collect(std::function<void()> f);

  /// The whole registry in the text format 0.0.4: per family, in registration order, `# HELP`
  /// (with `\` and newline escaped) and `# TYPE` lines, then one line per series in label-value
  /// order; label values escape `\`, `"` and newline; histograms as cumulative
  /// `_bucket{…,le="…"}` lines ending with `le="+Inf"`, then `_sum` and `_count`. Ends with a
  /// newline.
  std::string render() const;

 private:
  friend class counter_family;
  friend class gauge_family;
  friend class histogram_family;
  detail::family_data& add_family(std::string name, std::string help, int type,
                                  std::vector<std::string> labels, std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::family_data>> families_;
  std::vector<std::function<void()>> collectors_;
};

/// The text format's rendering of a sample value: integers up to 2^53 without a fraction ("42"),
/// other finite values in the shortest form that reads back exactly ("0.25", "1e-09"), and
/// "+Inf", "-Inf", "NaN".
std::string format_value(double v);

/// `v` escaped as a label value of the text format: `\` → `\\`, `"` → `\"`, newline → `\n`.
std::string escape_label_value(std::string_view v);

/// The media type of the text format 0.0.4, for the Content-Type header.
inline constexpr std::string_view text_format_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace lpda::metrics

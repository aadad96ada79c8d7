#include "lpda/sync/window.hpp"

#include <algorithm>
#include <stdexcept>

namespace lpda::sync {

std::int64_t window_end_ms(std::optional<std::int64_t> server_now_ms, std::int64_t host_now_ms) {
  return server_now_ms ? *server_now_ms - server_now_margin_ms : host_now_ms;
}

std::optional<std::int64_t> repaired_watermark(std::optional<std::int64_t> watermark_ms,
                                               std::int64_t now_ms, std::int64_t overlap_ms,
                                               std::optional<std::int64_t> newest_listed_ms) {
  if (!watermark_ms || *watermark_ms <= now_ms) return std::nullopt;
  const std::int64_t back = now_ms - overlap_ms;
  return newest_listed_ms ? std::min(back, *newest_listed_ms) : back;
}

slice poll_window(std::optional<std::int64_t> watermark_ms, std::int64_t initial_start_ms,
                  std::int64_t overlap_ms, std::int64_t now_ms) {
  const std::int64_t wanted = watermark_ms ? *watermark_ms - overlap_ms : initial_start_ms;
  const std::int64_t start = std::min(std::max(wanted, now_ms - retention_ms), now_ms);
  return {start, now_ms};
}

std::vector<slice> split_window(slice w, std::int64_t max_window_ms) {
  if (max_window_ms <= 0) throw std::invalid_argument("max_window must be positive");
  std::vector<slice> out;
  for (std::int64_t s = w.start_ms; s < w.end_ms; s += max_window_ms)
    out.push_back({s, std::min(s + max_window_ms, w.end_ms)});
  return out;
}

std::optional<std::int64_t> advance_watermark(std::optional<std::int64_t> current,
                                              const std::vector<slice>& slices,
                                              const std::vector<bool>& complete) {
  std::optional<std::int64_t> next = current;
  for (std::size_t i = 0; i < slices.size() && i < complete.size() && complete[i]; ++i) {
    if (!next || slices[i].end_ms > *next) next = slices[i].end_ms;
  }
  return next;
}

}  // namespace lpda::sync

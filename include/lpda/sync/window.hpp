#pragma once
/// Window arithmetic for one poll of one account (pure functions; times are epoch ms UTC).
///
/// The listing filters on when files were generated ("startTime … refers to the start time
/// boundary of the range the files were generated. Should be used as an incremental timestamp",
/// developers.liveperson.com/data-data-access-agent-activity.html). Files for an hour can be
/// generated hours late (sessions are published when they close; the SLA is 6 h for 99.5 %,
/// developers.liveperson.com/data-access-api-architecture.html), so every poll re-lists an overlap
/// behind the watermark; files are kept 30 days (data-access-api-overview.html), so a window never
/// starts more than `retention_ms` before now.
#include <cstdint>
#include <optional>
#include <vector>

namespace lpda::sync {

/// A half-open listing interval [start_ms, end_ms).
struct slice {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  friend bool operator==(const slice&, const slice&) = default;
};

/// 29 days: one day inside the API's 30-day retention, so a window never asks for deleted files.
inline constexpr std::int64_t retention_ms = 29LL * 24 * 3600 * 1000;

/// How far before the server's now a window ends: the `Date` header is the clock of the server
/// that answered, and the servers that stamp files may run a little behind it.
inline constexpr std::int64_t server_now_margin_ms = 5'000;

/// The "now" that a poll's window ends at: `server_now_ms − server_now_margin_ms` when the
/// server's clock is known (from its `Date` header, `http::server_clock`), whatever the host's
/// clock says; `host_now_ms` otherwise. So a host clock ahead of the server's never carries the
/// window, nor the watermark it reaches, past what the server has generated, and a host clock
/// behind it never holds the window back.
std::int64_t window_end_ms(std::optional<std::int64_t> server_now_ms, std::int64_t host_now_ms);

/// A watermark beyond the server's now (`now_ms`: the server's, or the host's when the server's
/// is unknown) can only have been set by a clock that was ahead, and would list nothing until
/// real time caught up with it — files published meanwhile would fall behind the overlap and be
/// lost. Returns the watermark pulled back to `now_ms − overlap_ms`, or further, to
/// `newest_listed_ms` (the end of the newest hour in the ledger) when that is earlier: the bad
/// state may have lasted longer than the overlap, and files published since the newest one
/// listed were never listed (the ledger makes re-listing what is stored free); nullopt when
/// `watermark_ms` is unset or not beyond `now_ms`.
std::optional<std::int64_t> repaired_watermark(
    std::optional<std::int64_t> watermark_ms, std::int64_t now_ms, std::int64_t overlap_ms,
    std::optional<std::int64_t> newest_listed_ms = std::nullopt);

/// The window of one poll: [max(watermark − overlap, now − retention_ms), now]. A new account
/// (no watermark) starts at `initial_start_ms`, also clamped to the retention. An empty window
/// (start ≥ now) yields start == end == now.
slice poll_window(std::optional<std::int64_t> watermark_ms, std::int64_t initial_start_ms,
                  std::int64_t overlap_ms, std::int64_t now_ms);

/// Splits [w.start_ms, w.end_ms) into consecutive slices of at most `max_window_ms` (> 0), in
/// order; an empty window gives no slices.
std::vector<slice> split_window(slice w, std::int64_t max_window_ms);

/// The new watermark after a poll: the end of the last slice that, with every slice before it,
/// is complete (every file done or quarantined, listing succeeded); `complete[i]` belongs to
/// `slices[i]`. Returns `current` when the first slice is incomplete, and never a value below
/// `current` (a watermark only moves forward).
std::optional<std::int64_t> advance_watermark(std::optional<std::int64_t> current,
                                              const std::vector<slice>& slices,
                                              const std::vector<bool>& complete);

}  // namespace lpda::sync

#pragma once
// Text made safe for messages.
#include <cstddef>
#include <string>
#include <string_view>

namespace lpda {

/// `text` made safe for one line of a log or of `status` output: bytes below 0x20, 0x7f, the
/// UTF-8 encoded C1 controls (U+0080..U+009F) and every byte that is not part of a well-formed
/// UTF-8 sequence (RFC 3629 section 4) become `\xNN` (two lower-case hex digits); everything else
/// is kept. Remote and user text (listing names, dates, hrefs, error bodies, config values) passes
/// through this before it enters an error message, so it cannot forge log lines or make JSON
/// output invalid UTF-8. Pure.
std::string escape_text(std::string_view text);

/// The columns `text` (UTF-8) takes on a terminal, for aligning tables: each code point's
/// `wcwidth(3)` in glibc's C.UTF-8 locale — 2 for East Asian wide and fullwidth characters and
/// most emoji, 0 for combining marks and zero-width joiners, 1 otherwise (also for a byte that
/// is not well-formed UTF-8, or when that locale is not installed). Thread-safe.
std::size_t display_width(std::string_view text);

}  // namespace lpda

#pragma once
// Text made safe for messages.
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

}  // namespace lpda

#pragma once
// Test hook of the decoder (tests and the fuzz target only; not part of the public API).
namespace lpda::decode::detail {

/// Decoders created after `use_simdjson(false)` parse every document with the streaming parser
/// (RapidJSON SAX) alone, the reference the simdjson path must agree with event for event and
/// error for error. Default true. Set it before creating decoders, not while another thread does.
void use_simdjson(bool on) noexcept;

}  // namespace lpda::decode::detail

#pragma once
#include <string_view>

namespace lpda {
/// The project version, e.g. "0.1.0" (from CMakeLists.txt).
std::string_view version() noexcept;
/// "lpda-sync/<version>", sent as User-Agent.
std::string_view user_agent() noexcept;
}  // namespace lpda

#pragma once
/// Which hosts may receive credentials, and which may be reached over plain http.
#include "lpda/core/host.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lpda::http {

/// True when `host` matches one of `patterns`: an exact name (case-insensitive) or "*.suffix",
/// which matches any name ending in ".suffix" (not "suffix" itself). An IPv6 literal may be
/// given with or without brackets.
bool host_allowed(std::string_view host, const std::vector<std::string>& patterns);

/// True for "localhost", 127.0.0.0/8 (as the resolver reads it: "127.1" too) and ::1; the one
/// check the config and the client share (lpda/core/host.hpp).
using ::lpda::is_loopback_host;

}  // namespace lpda::http

#pragma once
// Removal of a `Content-Encoding: gzip` transport layer (RFC 9110 §8.4.1.3), streaming, with a
// cap on the inflated size. Concatenated members are inflated one after another.
#include "lpda/core/error.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace lpda::http::detail {

/// Inflates gzip `in`; error when corrupt, truncated or larger than `limit` bytes.
result<std::string> gunzip_string(std::string_view in, std::uint64_t limit);

// Creates or truncates `path` for writing with mode 0600 whatever the umask (a spool file holds
// agent names; the database is 0600 too). nullptr with errno set on failure.
std::FILE* create_private_file(const std::filesystem::path& path);

/// Inflates the gzip file `in` into `out` (replaced); returns the bytes written.
result<std::uint64_t> gunzip_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                  std::uint64_t limit);

}  // namespace lpda::http::detail

#include "lpda/core/paths.hpp"

#include <system_error>

namespace lpda {
namespace {

std::filesystem::path resolved(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) abs = p;
  auto r = std::filesystem::weakly_canonical(abs, ec);
  if (ec) r = abs.lexically_normal();
  if (!r.has_filename() && r.has_relative_path()) r = r.parent_path();
  return r;
}

}  // namespace

bool same_path(const std::filesystem::path& a, const std::filesystem::path& b) noexcept {
  try {
    std::error_code ec;
    if (std::filesystem::equivalent(a, b, ec) && !ec) return true;
    return resolved(a) == resolved(b);
  } catch (...) {
    return false;  // allocation failure: no verdict, and the callers' writes fail on their own
  }
}

}  // namespace lpda

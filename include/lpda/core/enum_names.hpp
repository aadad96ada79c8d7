#pragma once
/// The names of an enumeration's values in text (config values, logs, metric labels, the
/// database): one table per enumeration, read in both directions, so a name is spelled once.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace lpda {

/// `N` values of the enumeration `E`, each with its name. Made by `make_enum_names`.
template <class E, std::size_t N>
class enum_names {
 public:
  using entry = std::pair<E, std::string_view>;

  constexpr explicit enum_names(std::array<entry, N> entries) : entries_(entries) {}

  /// The name of `e`; "" for a value the table does not list (an integer cast to `E`).
  [[nodiscard]] constexpr std::string_view name(E e) const noexcept {
    for (const auto& [value, name] : entries_)
      if (value == e) return name;
    return {};
  }

  /// The value named exactly `text`, or nullopt.
  [[nodiscard]] constexpr std::optional<E> parse(std::string_view text) const noexcept {
    for (const auto& [value, name] : entries_)
      if (name == text) return value;
    return std::nullopt;
  }

  /// Every value with its name, in the table's order.
  [[nodiscard]] constexpr const std::array<entry, N>& entries() const noexcept { return entries_; }

 private:
  std::array<entry, N> entries_;
};

/// `make_enum_names<E>({{E::a, "a"}, {E::b, "b"}})`: list every value of `E` once.
template <class E, std::size_t N>
constexpr enum_names<E, N> make_enum_names(const std::pair<E, std::string_view> (&entries)[N]) {
  std::array<std::pair<E, std::string_view>, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = entries[i];
  return enum_names<E, N>(a);
}

}  // namespace lpda

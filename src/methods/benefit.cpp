#include "evident/methods/benefit.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace evident {

std::optional<Benefit> parse_benefit(std::string_view name) noexcept {
  auto is = [&](std::string_view word) {
    return std::equal(name.begin(), name.end(), word.begin(), word.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  };
  if (is("lower")) return Benefit::lower;
  if (is("higher")) return Benefit::higher;
  return std::nullopt;
}

std::string_view benefit_name(Benefit b) noexcept {
  return b == Benefit::lower ? "lower" : "higher";
}

}  // namespace evident

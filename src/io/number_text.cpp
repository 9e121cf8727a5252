#include "io/number_text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace evident::detail {

std::string exact(double x) {
  if (std::isnan(x)) return "";
  return fmt::format("{}", x);
}

void append_shortest(std::string& out, double x) {
  // Built in a local buffer and appended once: appending character by character costs more than
  // finding the digits.
  char text[40];
  char* t = text;
  if (std::signbit(x)) *t++ = '-';
  if (x == 0.0) {
    *t++ = '0';
    out.append(text, t);
    return;
  }
  // The shortest decimal significand and exponent that round to x (x = sig * 10^e): Jeon (2020),
  // "Dragonbox: a new floating-point binary-to-decimal conversion algorithm", as fmt implements
  // it. Its digits are the ones std::to_chars chooses (both give the shortest string that reads
  // back as x, the closest to x among those); only the layout below is std::to_chars's own.
  const auto dec = fmt::detail::dragonbox::to_decimal(std::fabs(x));
  std::uint64_t sig = dec.significand;
  int e = dec.exponent;
  while (sig % 10 == 0) {
    sig /= 10;
    ++e;
  }
  // The digits, eight at a time from the right (each group's four pairs computed independently,
  // rather than one long chain of divisions).
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  const auto write8 = [](std::uint32_t v, char* p) {
    const std::uint32_t hi = v / 10000, lo = v % 10000;
    std::memcpy(p, kPairs + 2 * (hi / 100), 2);
    std::memcpy(p + 2, kPairs + 2 * (hi % 100), 2);
    std::memcpy(p + 4, kPairs + 2 * (lo / 100), 2);
    std::memcpy(p + 6, kPairs + 2 * (lo % 100), 2);
  };
  char digits[24];
  char* d = digits + 24;
  while (sig >= 100000000) {
    d -= 8;
    write8(static_cast<std::uint32_t>(sig % 100000000), d);
    sig /= 100000000;
  }
  d -= 8;
  write8(static_cast<std::uint32_t>(sig), d);
  while (*d == '0')  // sig > 0 here, so a digit other than 0 comes
    ++d;
  const int n = static_cast<int>(digits + 24 - d);
  const int x10 = n - 1 + e;  // exponent of the first digit
  const int abs_x10 = x10 < 0 ? -x10 : x10;
  // Scientific: d[.ddd]e+XX (at least two exponent digits); fixed: as many digits as needed. The
  // C++ standard ([charconv.to.chars]) takes the shorter, fixed on a tie.
  const int sci_length = (n == 1 ? 1 : n + 1) + 2 + (abs_x10 >= 100 ? 3 : 2);
  const int fixed_length = e >= 0 ? n + e : (x10 >= 0 ? n + 1 : 1 - x10 + n);
  const auto copy = [&t](const char* from, int count) {
    std::memcpy(t, from, static_cast<std::size_t>(count));
    t += count;
  };
  if (fixed_length <= sci_length) {
    if (e > 0 && std::fabs(x) >= 0x1p53) {
      // An integer beyond 2^53 in fixed notation: std::to_chars writes its exact value
      // (6881648780233348096), not the shortest digits padded with zeros.
      t = std::to_chars(t, text + sizeof text, std::fabs(x)).ptr;
    } else if (e >= 0) {
      copy(d, n);
      std::memset(t, '0', static_cast<std::size_t>(e));
      t += e;
    } else if (x10 >= 0) {
      copy(d, x10 + 1);
      *t++ = '.';
      copy(d + x10 + 1, n - x10 - 1);
    } else {
      *t++ = '0';
      *t++ = '.';
      std::memset(t, '0', static_cast<std::size_t>(-x10 - 1));
      t += -x10 - 1;
      copy(d, n);
    }
  } else {
    *t++ = d[0];
    if (n > 1) {
      *t++ = '.';
      copy(d + 1, n - 1);
    }
    *t++ = 'e';
    *t++ = x10 < 0 ? '-' : '+';
    if (abs_x10 >= 100) *t++ = static_cast<char>('0' + abs_x10 / 100);
    *t++ = static_cast<char>('0' + abs_x10 / 10 % 10);
    *t++ = static_cast<char>('0' + abs_x10 % 10);
  }
  out.append(text, t);
}

std::string quote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + '"';
}

}  // namespace evident::detail

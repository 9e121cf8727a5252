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

std::string clean_text(std::string_view s, bool keep_whitespace) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\t' || b == '\n' || b == '\r') {
        out += keep_whitespace ? static_cast<char>(b) : ' ';
      } else if (b < 0x20 || b == 0x7F) {
        out += kReplacement;
      } else {
        out += static_cast<char>(b);
      }
      ++i;
      continue;
    }
    // The length of the sequence a lead byte starts, and the range its second byte must lie in
    // (Unicode table 3-7, well-formed UTF-8 byte sequences).
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    }
    std::size_t valid = length == 0 ? 0 : 1;  // bytes of a well-formed prefix
    while (valid > 0 && valid < length && i + valid < s.size()) {
      const auto c = static_cast<unsigned char>(s[i + valid]);
      const unsigned char first = valid == 1 ? lo : 0x80, last = valid == 1 ? hi : 0xBF;
      if (c < first || c > last) break;
      ++valid;
    }
    if (valid == length && length > 0) {
      // U+0080..U+009F are control characters too.
      const bool c1 = b == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F;
      if (c1) {
        out += kReplacement;
      } else {
        out.append(s.substr(i, length));
      }
      i += length;
    } else {
      out += kReplacement;  // the maximal ill-formed subpart, or a stray byte
      i += std::max<std::size_t>(valid, 1);
    }
  }
  return out;
}

}  // namespace evident::detail

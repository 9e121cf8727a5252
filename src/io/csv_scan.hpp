#pragma once
// The inner loop of the CSV reader (io/csv_stream.cpp, for tables and batches alike):
// finding the next byte that ends or disturbs an unquoted field.

#include <array>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace evident::detail {

// ',', '\n', '\r' and '"': one table look-up per byte instead of four comparisons.
inline constexpr auto kCsvSpecial = [] {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>(',')] = true;
  t[static_cast<unsigned char>('\n')] = true;
  t[static_cast<unsigned char>('\r')] = true;
  t[static_cast<unsigned char>('"')] = true;
  return t;
}();

// The first position from p on that holds a special byte (or end): 16 bytes at a time where SSE2
// is available (every x86-64), else one table look-up per byte.
inline std::size_t skip_plain(const char* b, std::size_t p, std::size_t end) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  while (p + 16 <= end) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, quote)));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    p += 16;
  }
#endif
  while (p < end && !kCsvSpecial[static_cast<unsigned char>(b[p])])
    ++p;
  return p;
}

}  // namespace evident::detail

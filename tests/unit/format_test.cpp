// Number formatting: the fast shortest-text writer of batch results writes exactly what
// std::to_chars writes, for every kind of double.

#include "report/format.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace evident::detail {
namespace {

std::string with_to_chars(double x) {
  char text[64];
  const auto r = std::to_chars(text, text + sizeof text, x);
  return {text, r.ptr};
}

std::string with_append_shortest(double x) {
  std::string out;
  append_shortest(out, x);
  return out;
}

TEST(FormatTest, ShortestTextIsWhatToCharsWrites) {
  using limits = std::numeric_limits<double>;
  // Where fixed and scientific notation trade places, and the ends of the range.
  for (double x : {0.0,
                   -0.0,
                   1.0,
                   -1.0,
                   0.1,
                   0.5,
                   0.0001,
                   0.00012,
                   0.001,
                   1e-5,
                   1.5e-5,
                   10.0,
                   100.0,
                   1e15,
                   1e16,
                   1e17,
                   1.2345e16,
                   123456789012345680000.0,
                   1e21,
                   1e22,
                   1e23,
                   1e100,
                   1e-100,
                   9.999999999999999e22,
                   limits::max(),
                   limits::min(),
                   limits::denorm_min(),
                   limits::lowest(),
                   0.30000000000000004,
                   2.5e-7,
                   1630.2876315768629,
                   6.638046371058391e-05,
                   35598792.91305605,
                   9999999.0}) {
    EXPECT_EQ(with_append_shortest(x), with_to_chars(x)) << with_to_chars(x);
    EXPECT_EQ(with_append_shortest(-x), with_to_chars(-x)) << with_to_chars(-x);
  }
  std::mt19937_64 rng(20261130);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> power(-30, 30);
  int mismatches = 0;
  for (int i = 0; i < 2'000'000 && mismatches < 10; ++i) {
    double x = 0.0;
    switch (i % 4) {
      case 0:  // any finite bit pattern
        do {
          x = std::bit_cast<double>(rng());
        } while (!std::isfinite(x));
        break;
      case 1:  // the numbers of a meta-analysis: estimates, variances, p-values
        x = (unit(rng) - 0.5) * std::pow(10.0, power(rng));
        break;
      case 2:  // short decimals, as data are typed
        x = std::round(unit(rng) * 1e6) / std::pow(10.0, power(rng) % 8 + 8);
        break;
      default:  // integers and near-integers
        x = std::floor(unit(rng) * std::pow(10.0, (power(rng) + 30) % 24));
        break;
    }
    const std::string got = with_append_shortest(x), want = with_to_chars(x);
    if (got != want) {
      ++mismatches;
      ADD_FAILURE() << "append_shortest wrote " << got << " where std::to_chars writes " << want;
    }
  }
}

}  // namespace
}  // namespace evident::detail

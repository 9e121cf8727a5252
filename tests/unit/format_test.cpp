// Number formatting: the fast shortest-text writer of batch results writes exactly what
// std::to_chars writes, for every kind of double; the fixed-point writer of the reports writes
// what fmt's "{:.Nf}" writes.

#include "report/format.hpp"

#include <fmt/format.h>
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

// What the reports print: fmt's fixed-point text, without the sign of a value that rounds to 0.
std::string fixed_by_fmt(double x, int digits) {
  if (std::isnan(x)) return "NA";
  std::string s = fmt::format("{:.{}f}", x, digits);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

TEST(FormatTest, FixedTextIsFmtsFixedFormat) {
  using limits = std::numeric_limits<double>;
  for (int digits : {0, 1, 2, 4, 6}) {
    for (double x : {0.0,
                     -0.0,
                     0.5,
                     1.5,
                     2.5,
                     -2.5,
                     0.125,
                     0.00005,
                     0.00015,
                     -0.00004,
                     -0.00005,
                     1.00005,
                     99.995,
                     0.1 + 0.2,
                     1e-300,
                     -1e-300,
                     1e15,
                     1e22,
                     1e300,
                     limits::max(),
                     -limits::max(),
                     limits::min(),
                     limits::denorm_min(),
                     limits::quiet_NaN(),
                     limits::infinity(),
                     -limits::infinity()}) {
      EXPECT_EQ(fixed(x, digits), fixed_by_fmt(x, digits)) << x << " with " << digits;
    }
  }
  EXPECT_EQ(fixed(-0.00004, 4), "0.0000");
  EXPECT_EQ(fixed(-0.00006, 4), "-0.0001");
  EXPECT_EQ(fixed(std::nan(""), 2), "NA");
  std::mt19937_64 rng(20261201);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> power(-12, 12);
  int mismatches = 0;
  std::string appended;
  for (int i = 0; i < 300'000 && mismatches < 10; ++i) {
    // Estimates, variances, weights and bounds; every fourth one a decimal typed with 4 or 5
    // places, where rounding to 4 decimals meets ties.
    const double x = i % 4 == 0 ? std::round((unit(rng) - 0.5) * 2e6) / 1e5
                                : (unit(rng) - 0.5) * std::pow(10.0, power(rng));
    const int digits = i % 3 == 0 ? 2 : 4;
    appended.clear();
    append_fixed(appended, x, digits);
    const std::string want = fixed_by_fmt(x, digits);
    if (appended != want) {
      ++mismatches;
      ADD_FAILURE() << "append_fixed wrote " << appended << " where fmt writes " << want;
    }
  }
}

}  // namespace
}  // namespace evident::detail

TEST(FormatTest, CleanTextReplacesIllFormedUtf8AndControls) {
  using evident::detail::clean_text;
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(clean_text("plain ascii"), "plain ascii");
  EXPECT_EQ(clean_text("Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(clean_text("M\xfcller"), "M" + r + "ller");      // Latin-1
  EXPECT_EQ(clean_text("\xc0\xaf"), r + r);                  // overlong: two stray bytes
  EXPECT_EQ(clean_text("\xed\xa0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(clean_text("\xe2\x82"), r);                      // truncated: one subpart
  EXPECT_EQ(clean_text("\xf4\x90\x80\x80"), r + r + r + r);  // beyond U+10FFFF
  EXPECT_EQ(clean_text(std::string("a\x00"
                                   "b\x07\x7f",
                                   5)),
            "a" + r + "b" + r + r);
  EXPECT_EQ(clean_text("\xc2\x85"), r);  // C1 control NEL
  EXPECT_EQ(clean_text("tab\there\nline"), "tab\there\nline");
  EXPECT_EQ(clean_text("tab\there\nline", false), "tab here line");
}

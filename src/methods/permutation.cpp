#include "evident/methods/permutation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace evident {

namespace {

// metafor's comptol: a permuted statistic counts as "at least as extreme" within sqrt(eps).
const double kCompTol = std::sqrt(std::numeric_limits<double>::epsilon());

// Uniform integers in [0, n) from mt19937_64's raw output by rejection, so the permutations are
// the same with every standard library (std::uniform_int_distribution is not specified).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
    std::uint64_t r = engine_();
    while (r >= limit)
      r = engine_();
    return r % n;
  }

 private:
  std::mt19937_64 engine_;
};

// k! / prod(m_g!) distinct arrangements of a multiset, saturated at `cap` + 1.
std::uint64_t multiset_permutations(std::vector<std::size_t> counts, std::uint64_t cap) {
  // product of binomials C(n_1 + ... + n_g, n_g), each computed exactly step by step
  std::uint64_t total = 1;
  std::uint64_t n = 0;
  for (std::size_t m : counts) {
    for (std::size_t j = 1; j <= m; ++j) {
      ++n;
      // total * n / j stays an integer (the product so far times C(n, j)); total <= cap, so
      // total * n only overflows for absurd k, which the double check catches.
      if (static_cast<double>(total) * static_cast<double>(n) > 1e19) return cap + 1;
      total = total * n / j;
      if (total > cap) return cap + 1;
    }
  }
  return total;
}

struct Tally {
  std::size_t count = 0;
  std::size_t qm_extreme = 0;
  std::vector<std::size_t> extreme;
  std::size_t failed = 0;

  explicit Tally(std::size_t p) : extreme(p, 0) {}

  // Adds one refit; false if it failed.
  bool add(const MetaRegFit& r, const MetaRegFit& observed) {
    if (r.status != RegressionStatus::ok || std::isnan(r.QM)) {
      ++failed;
      return false;
    }
    ++count;
    if (r.QM >= observed.QM - kCompTol) ++qm_extreme;
    for (std::size_t j = 0; j < extreme.size(); ++j) {
      if (std::fabs(r.stat[j]) >= std::fabs(observed.stat[j]) - kCompTol) ++extreme[j];
    }
    return true;
  }
};

}  // namespace

PermutationTest permutation_test(std::span<const double> yi, std::span<const double> vi,
                                 DesignView x, const MetaRegFit& fit, const FitOptions& options,
                                 const PermutationOptions& permutation) {
  const std::size_t k = yi.size();
  const std::size_t p = x.p;
  PermutationTest out;
  out.seed = permutation.seed;
  Tally tally(p);
  std::vector<double> y(yi.begin(), yi.end());
  std::vector<double> xp(x.values.begin(), x.values.end());
  const std::size_t wanted = std::max<std::size_t>(permutation.iterations, 1);

  if (p == 1 && x.has_intercept()) {
    // Without moderators: flip signs (metafor's permutest for intercept-only models).
    const bool exact = permutation.exact_when_feasible && k < 63 &&
                       (std::uint64_t{1} << k) <= static_cast<std::uint64_t>(wanted);
    out.exact = exact;
    if (exact) {
      const std::uint64_t n = std::uint64_t{1} << k;
      for (std::uint64_t mask = 0; mask < n; ++mask) {
        for (std::size_t i = 0; i < k; ++i)
          y[i] = ((mask >> i) & 1u) ? -yi[i] : yi[i];
        tally.add(fit_metareg(y, vi, x, options), fit);
      }
    } else {
      tally.add(fit, fit);
      Rng rng(permutation.seed);
      std::size_t attempts = 0;
      while (tally.count < wanted && attempts < 10 * wanted) {
        ++attempts;
        for (std::size_t i = 0; i < k; ++i)
          y[i] = rng.below(2) ? -yi[i] : yi[i];
        tally.add(fit_metareg(y, vi, x, options), fit);
      }
    }
  } else {
    // Rows of X grouped by identical content: permutations that only swap identical rows are
    // the same arrangement (metafor counts distinct ones for its exact test).
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    auto row_less = [&](std::size_t a, std::size_t b) {
      return std::lexicographical_compare(
          x.values.begin() + static_cast<std::ptrdiff_t>(a * p),
          x.values.begin() + static_cast<std::ptrdiff_t>(a * p + p),
          x.values.begin() + static_cast<std::ptrdiff_t>(b * p),
          x.values.begin() + static_cast<std::ptrdiff_t>(b * p + p));
    };
    std::stable_sort(order.begin(), order.end(), row_less);
    std::vector<std::size_t> representative;  // a row of each group
    std::vector<std::size_t> counts;
    std::vector<std::size_t> labels;  // group of each position, sorted
    for (std::size_t i = 0; i < k; ++i) {
      if (i == 0 || row_less(order[i - 1], order[i])) {
        representative.push_back(order[i]);
        counts.push_back(0);
      }
      ++counts.back();
      labels.push_back(representative.size() - 1);
    }
    auto set_rows = [&](const std::vector<std::size_t>& row_of) {
      for (std::size_t i = 0; i < k; ++i) {
        std::copy_n(x.values.begin() + static_cast<std::ptrdiff_t>(row_of[i] * p), p,
                    xp.begin() + static_cast<std::ptrdiff_t>(i * p));
      }
    };
    const std::uint64_t distinct =
        multiset_permutations(counts, static_cast<std::uint64_t>(wanted));
    const bool exact =
        permutation.exact_when_feasible && distinct <= static_cast<std::uint64_t>(wanted);
    out.exact = exact;
    std::vector<std::size_t> row_of(k);
    if (exact) {
      do {
        for (std::size_t i = 0; i < k; ++i)
          row_of[i] = representative[labels[i]];
        set_rows(row_of);
        tally.add(fit_metareg(y, vi, {xp, p}, options), fit);
      } while (std::next_permutation(labels.begin(), labels.end()));
    } else {
      tally.add(fit, fit);
      Rng rng(permutation.seed);
      std::vector<std::size_t> perm(k);
      std::size_t attempts = 0;
      while (tally.count < wanted && attempts < 10 * wanted) {
        ++attempts;
        std::iota(perm.begin(), perm.end(), 0);
        for (std::size_t i = k; i > 1; --i)  // Fisher-Yates
          std::swap(perm[i - 1], perm[rng.below(i)]);
        set_rows(perm);
        tally.add(fit_metareg(y, vi, {xp, p}, options), fit);
      }
    }
  }

  out.iterations = tally.count;
  out.failed = tally.failed;
  const auto n = static_cast<double>(tally.count);
  out.QM_p = std::min(1.0, static_cast<double>(tally.qm_extreme) / n);
  out.pval.resize(p);
  for (std::size_t j = 0; j < p; ++j)
    out.pval[j] = std::min(1.0, static_cast<double>(tally.extreme[j]) / n);
  return out;
}

}  // namespace evident

// One fit of k studies for every estimator, k = 3 ... 200: the load of a batch of many small
// meta-analyses. The data are drawn once per k from the random-effects model (seeded), so every
// run times the same fits. Then one fit of a million and ten million studies (REML and DL) on one
// and two threads: the sums of large fits run in blocks over the threads (model/sums.hpp). Last,
// a batch of analyses from arrays in memory (batch/arrays.hpp), and meta-regressions with one and
// two moderators (model/metareg.hpp), and three-level models (model/multilevel.hpp).

#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "evident/batch/arrays.hpp"
#include "evident/model/bayes.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"
#include "evident/model/multilevel.hpp"

namespace {

struct Data {
  std::vector<double> yi, vi;
};

Data draw(std::size_t k) {
  std::mt19937_64 engine(k);
  auto uniform = [&] { return (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53; };
  auto normal = [&] {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  };
  Data d;
  for (std::size_t i = 0; i < k; ++i) {
    const double vi = 0.01 + 0.09 * uniform();
    d.vi.push_back(vi);
    d.yi.push_back(0.2 + std::sqrt(0.1) * normal() + std::sqrt(vi) * normal());
  }
  return d;
}

void fit_once(benchmark::State& state, evident::Method method) {
  const Data d = draw(static_cast<std::size_t>(state.range(0)));
  evident::FitOptions options;
  options.method = method;
  for (auto _ : state) {
    const evident::Fit f = evident::fit(d.yi, d.vi, options);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["k"] = static_cast<double>(state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int k : {3, 5, 10, 20, 50, 100, 200})
    b->Arg(k);
}

#define EVIDENT_FIT_BENCH(M)                 \
  void BM_fit_##M(benchmark::State& state) { \
    fit_once(state, evident::Method::M);     \
  }                                          \
  BENCHMARK(BM_fit_##M)->Apply(sizes)

EVIDENT_FIT_BENCH(FE);
EVIDENT_FIT_BENCH(DL);
EVIDENT_FIT_BENCH(HE);
EVIDENT_FIT_BENCH(HS);
EVIDENT_FIT_BENCH(SJ);
EVIDENT_FIT_BENCH(ML);
EVIDENT_FIT_BENCH(REML);
EVIDENT_FIT_BENCH(EB);
EVIDENT_FIT_BENCH(PM);

// k = range(0), threads = range(1). The data of each k are drawn once and kept for every
// benchmark that uses them (drawing ten million studies takes longer than a fit).
void fit_large(benchmark::State& state, evident::Method method) {
  const auto k = static_cast<std::size_t>(state.range(0));
  static std::map<std::size_t, Data> drawn;
  auto it = drawn.find(k);
  if (it == drawn.end()) it = drawn.emplace(k, draw(k)).first;
  const Data& d = it->second;
  evident::FitOptions options;
  options.method = method;
  options.threads = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    const evident::Fit f = evident::fit(d.yi, d.vi, options);
    benchmark::DoNotOptimize(f);
  }
  state.counters["k"] = static_cast<double>(k);
  state.counters["threads"] = static_cast<double>(options.threads);
}

void BM_fit_large_REML(benchmark::State& state) {
  fit_large(state, evident::Method::REML);
}
void BM_fit_large_DL(benchmark::State& state) {
  fit_large(state, evident::Method::DL);
}
BENCHMARK(BM_fit_large_REML)
    ->ArgsProduct({{1'000'000, 10'000'000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_fit_large_DL)
    ->ArgsProduct({{1'000'000, 10'000'000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One meta-regression of k = range(0) studies on p = range(1) columns (the intercept and p - 1
// moderators drawn uniform on [0, 1], the first with a true slope of 0.3).
void metareg_once(benchmark::State& state, evident::Method method) {
  const auto k = static_cast<std::size_t>(state.range(0));
  const auto p = static_cast<std::size_t>(state.range(1));
  Data d = draw(k);
  std::mt19937_64 engine(k + 1000 * p);
  std::vector<double> x(k * p, 1.0);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 1; j < p; ++j)
      x[i * p + j] = (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53;
    if (p > 1) d.yi[i] += 0.3 * x[i * p + 1];
  }
  evident::FitOptions options;
  options.method = method;
  const evident::DesignView design{x, p};
  for (auto _ : state) {
    const evident::MetaRegFit f = evident::fit_metareg(d.yi, d.vi, design, options);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}

#define EVIDENT_METAREG_BENCH(M)                 \
  void BM_metareg_##M(benchmark::State& state) { \
    metareg_once(state, evident::Method::M);     \
  }                                              \
  BENCHMARK(BM_metareg_##M)->ArgsProduct({{10, 50, 200}, {2, 3}})

EVIDENT_METAREG_BENCH(DL);
EVIDENT_METAREG_BENCH(SJ);
EVIDENT_METAREG_BENCH(REML);
EVIDENT_METAREG_BENCH(PM);

}  // namespace

// batch_arrays: 10^5 analyses of k = 10 from arrays in memory (REML), on one thread and on two;
// reported per analysis.
void BM_batch_arrays(benchmark::State& state) {
  constexpr std::size_t kAnalyses = 100000, kStudies = 10;
  std::vector<double> yi, vi;
  std::vector<std::size_t> offsets{0};
  for (std::size_t j = 0; j < kAnalyses; ++j) {
    const Data d = draw(kStudies + j % 7);
    yi.insert(yi.end(), d.yi.begin(), d.yi.end());
    vi.insert(vi.end(), d.vi.begin(), d.vi.end());
    offsets.push_back(yi.size());
  }
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    const evident::BatchArrays r = evident::batch_arrays(yi, vi, offsets, {}, threads);
    benchmark::DoNotOptimize(r.columns.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kAnalyses));
}
BENCHMARK(BM_batch_arrays)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The Bayesian model (model/bayes.hpp), half-normal(0.5) prior for tau and a flat one for mu, for
// k = 3 ... 200: the posterior of mu, tau and a new study's effect (as evident batch computes it),
// and with the shrunken effect of every study as well (as evident fit reports it).
void bayes_once(benchmark::State& state, bool theta) {
  const Data d = draw(static_cast<std::size_t>(state.range(0)));
  evident::BayesOptions options;
  options.theta = theta;
  for (auto _ : state) {
    const evident::BayesFit f = evident::fit_bayes(d.yi, d.vi, options);
    benchmark::DoNotOptimize(f.mu.ci_lb);
  }
}
void BM_bayes(benchmark::State& state) {
  bayes_once(state, false);
}
void BM_bayes_with_studies(benchmark::State& state) {
  bayes_once(state, true);
}
BENCHMARK(BM_bayes)->Arg(3)->Arg(10)->Arg(50)->Arg(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bayes_with_studies)->Arg(3)->Arg(10)->Arg(50)->Unit(benchmark::kMicrosecond);

// A three-level model of N studies x 4 estimates (model/multilevel.hpp), REML, without profile
// intervals: the fit metafor's rma.mv makes with random = ~ 1 | study/esid.
void BM_multilevel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 engine(n);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.01, 0.1);
  std::vector<double> yi, vi, x;
  evident::VarianceComponent study{"study", {}, static_cast<std::uint32_t>(n)};
  evident::VarianceComponent esid{"study/esid", {}, static_cast<std::uint32_t>(4 * n)};
  for (std::size_t s = 0; s < n; ++s) {
    const double u = std::sqrt(0.05) * normal(engine);
    for (std::uint32_t e = 0; e < 4; ++e) {
      const double v = uniform(engine);
      yi.push_back(0.2 + u + std::sqrt(0.03) * normal(engine) + std::sqrt(v) * normal(engine));
      vi.push_back(v);
      x.push_back(1.0);
      study.level.push_back(static_cast<std::uint32_t>(s));
      esid.level.push_back(static_cast<std::uint32_t>(4 * s + e));
    }
  }
  const std::vector<evident::VarianceComponent> components{study, esid};
  evident::MultilevelData d;
  d.yi = yi;
  d.vi = vi;
  d.x = {x, 1};
  d.components = components;
  for (auto _ : state) {
    evident::MultilevelFit f = evident::fit_multilevel(d, {});
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_multilevel)->Arg(500)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

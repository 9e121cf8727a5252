#include "evident/methods/fields.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <limits>

#include "evident/version.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Interval = std::optional<std::pair<double, double>>;

constexpr Field number(std::string_view name, double (*read)(const PooledView&),
                       bool (*present)(const PooledView&) = nullptr) {
  Field f;
  f.name = name;
  f.type = FieldType::number;
  f.number = read;
  f.present = present;
  return f;
}

constexpr Field count(std::string_view name, std::uint64_t (*read)(const PooledView&),
                      bool (*present)(const PooledView&) = nullptr) {
  Field f;
  f.name = name;
  f.type = FieldType::count;
  f.count = read;
  f.present = present;
  return f;
}

constexpr Field text(std::string_view name, std::string_view (*read)(const PooledView&)) {
  Field f;
  f.name = name;
  f.type = FieldType::text;
  f.text = read;
  return f;
}

constexpr Field interval(std::string_view name, Interval (*read)(const PooledView&)) {
  Field f;
  f.name = name;
  f.type = FieldType::interval;
  f.interval = read;
  return f;
}

bool z_test(const PooledView& v) {
  return v.fit->test == Test::z;
}
bool t_test(const PooledView& v) {
  return v.fit->test == Test::knha;
}
bool has_cmh(const PooledView& v) {
  return v.cmh != nullptr;
}
// A test of the Mantel-Haenszel odds ratio, NaN for other models.
template <double CmhTests::*Member>
double cmh(const PooledView& v) {
  return v.cmh != nullptr ? v.cmh->*Member : kNaN;
}
// A bound pair of the Q-profile intervals, when they were computed.
template <double HeterogeneityCI::*Lb, double HeterogeneityCI::*Ub>
Interval heterogeneity(const PooledView& v) {
  if (v.heterogeneity_ci == nullptr) return std::nullopt;
  return std::pair{v.heterogeneity_ci->*Lb, v.heterogeneity_ci->*Ub};
}

// The meanings are metafor's (DESIGN.md, "Command line contract"; docs/cli.md): a field is never
// renamed or removed, new ones are added.
constexpr std::array kFields{
    text("evident_version", [](const PooledView&) { return std::string_view(kVersion); }),
    text("source", [](const PooledView& v) { return v.source; }),
    text("measure", [](const PooledView& v) { return measure_name(v.measure); }),
    text("method", [](const PooledView& v) { return method_name(v.fit->method); }),
    text("test", [](const PooledView& v) { return test_name(v.fit->test); }),
    number("level", [](const PooledView& v) { return v.fit->level; }),
    count("k", [](const PooledView& v) { return std::uint64_t{v.fit->k}; }),
    number("estimate", [](const PooledView& v) { return v.fit->estimate; }),
    number("se", [](const PooledView& v) { return v.fit->se; }),
    // The test statistic under the name of its distribution, and as `stat` for tables whose
    // columns must not depend on the test.
    number(
        "zval", [](const PooledView& v) { return v.fit->stat; }, z_test),
    number(
        "tval", [](const PooledView& v) { return v.fit->stat; }, t_test),
    number("stat", [](const PooledView& v) { return v.fit->stat; }),
    number(
        "df", [](const PooledView& v) { return v.fit->df; }, t_test),
    number("pval", [](const PooledView& v) { return v.fit->pval; }),
    number("ci_lb", [](const PooledView& v) { return v.fit->ci_lb; }),
    number("ci_ub", [](const PooledView& v) { return v.fit->ci_ub; }),
    number("pi_lb", [](const PooledView& v) { return v.prediction->pi_lb; }),
    number("pi_ub", [](const PooledView& v) { return v.prediction->pi_ub; }),
    number("tau2", [](const PooledView& v) { return v.fit->tau2; }),
    number("tau2_se", [](const PooledView& v) { return v.fit->tau2_se; }),
    interval("tau2_ci", heterogeneity<&HeterogeneityCI::tau2_lb, &HeterogeneityCI::tau2_ub>),
    number("tau", [](const PooledView& v) { return std::sqrt(v.fit->tau2); }),
    interval("tau_ci", heterogeneity<&HeterogeneityCI::tau_lb, &HeterogeneityCI::tau_ub>),
    number("I2", [](const PooledView& v) { return v.fit->I2; }),
    interval("I2_ci", heterogeneity<&HeterogeneityCI::I2_lb, &HeterogeneityCI::I2_ub>),
    number("H2", [](const PooledView& v) { return v.fit->H2; }),
    interval("H2_ci", heterogeneity<&HeterogeneityCI::H2_lb, &HeterogeneityCI::H2_ub>),
    number("Q", [](const PooledView& v) { return v.fit->Q; }),
    number("Q_df", [](const PooledView& v) { return v.fit->Q_df; }),
    number("Q_p", [](const PooledView& v) { return v.fit->Q_p; }),
    count(
        "k_yi", [](const PooledView& v) { return std::uint64_t{v.k_yi.value_or(0)}; },
        [](const PooledView& v) { return v.k_yi.has_value(); }),
    number("CMH", cmh<&CmhTests::CMH>, has_cmh),
    number("CMH_p", cmh<&CmhTests::CMH_p>, has_cmh),
    number("tarone", cmh<&CmhTests::tarone>, has_cmh),
    number("tarone_df", cmh<&CmhTests::tarone_df>, has_cmh),
    number("tarone_p", cmh<&CmhTests::tarone_p>, has_cmh),
    number("breslow_day", cmh<&CmhTests::breslow_day>, has_cmh),
    number("breslow_day_p", cmh<&CmhTests::breslow_day_p>, has_cmh),
    text("termination", [](const PooledView& v) { return termination_name(v.fit->termination); }),
    count("iterations",
          [](const PooledView& v) { return static_cast<std::uint64_t>(v.fit->iterations); }),
    count("diagnostics", [](const PooledView& v) { return std::uint64_t{v.diagnostics}; }),
};

}  // namespace

std::span<const Field> pooled_fields() noexcept {
  return kFields;
}

const Field& pooled_field(std::string_view name) noexcept {
  const auto* it =
      std::find_if(kFields.begin(), kFields.end(), [&](const Field& f) { return f.name == name; });
  assert(it != kFields.end() && "no pooled field of this name");
  return *it;
}

}  // namespace evident

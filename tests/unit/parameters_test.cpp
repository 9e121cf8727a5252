// The parameter tables of the core (evident/methods/parameters.hpp): one conversion per type from
// text and from typed values, the checks and their messages, the rules between the analysis
// parameters, and the tables' own consistency.

#include "evident/methods/parameters.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using evident::ParamInfo;
using evident::ParamType;
using evident::ParamValue;

ParamInfo info(ParamType type) {
  ParamInfo p;
  p.name = std::string(1, 'x');  // from a literal, GCC 12 at -O3 warns falsely (-Wrestrict)
  p.type = type;
  return p;
}

// The problem of a text, or "" when it is accepted.
std::string text_problem(const ParamInfo& p, std::string_view text) {
  ParamValue v;
  return evident::value_from_text(p, text, v).value_or("");
}

std::string typed_problem(const ParamInfo& p, const ParamValue& in) {
  ParamValue v;
  return evident::value_from_typed(p, in, v).value_or("");
}

TEST(Parameters, OneTextConversionPerType) {
  ParamValue v;
  EXPECT_FALSE(evident::value_from_text(info(ParamType::number), "2.5", v));
  EXPECT_EQ(std::get<double>(v), 2.5);
  EXPECT_EQ(text_problem(info(ParamType::number), "abc"), "expected a number, not 'abc'");
  EXPECT_EQ(text_problem(info(ParamType::number), "nan"), "expected a number, not 'nan'");

  EXPECT_FALSE(evident::value_from_text(info(ParamType::count), "18446744073709551615", v));
  EXPECT_EQ(std::get<std::uint64_t>(v), 18446744073709551615u);
  EXPECT_EQ(text_problem(info(ParamType::count), "-1"),
            "expected a whole number (0 or more), not '-1'");
  EXPECT_NE(text_problem(info(ParamType::count), "1.5"), "");

  EXPECT_FALSE(evident::value_from_text(info(ParamType::boolean), "false", v));
  EXPECT_FALSE(std::get<bool>(v));
  EXPECT_EQ(text_problem(info(ParamType::boolean), "yes"), "yes not in {true,false}");

  // A command-line word is one item of a list (CLI11 splits at the delimiter).
  EXPECT_FALSE(evident::value_from_text(info(ParamType::number_list), "10", v));
  EXPECT_EQ(std::get<std::vector<double>>(v), std::vector<double>{10.0});
}

TEST(Parameters, TypedValuesConvertToTheParameterType) {
  ParamValue v;
  // A TOML or Python integer is a number.
  EXPECT_FALSE(evident::value_from_typed(info(ParamType::number), ParamValue(std::int64_t{95}), v));
  EXPECT_EQ(std::get<double>(v), 95.0);
  EXPECT_EQ(typed_problem(info(ParamType::number), ParamValue(std::string("95"))),
            "expected a number");
  EXPECT_EQ(typed_problem(info(ParamType::count), ParamValue(std::int64_t{-3})),
            "expected a whole number (0 or more)");
  EXPECT_EQ(typed_problem(info(ParamType::text), ParamValue(1.0)), "expected text");
  EXPECT_EQ(typed_problem(info(ParamType::boolean), ParamValue(std::string("true"))),
            "expected true or false");

  // A string is a list of one, split at the delimiter.
  ParamInfo mods = info(ParamType::text_list);
  mods.delimiter = ',';
  EXPECT_FALSE(evident::value_from_typed(mods, ParamValue(std::string("a,b")), v));
  EXPECT_EQ(std::get<std::vector<std::string>>(v), (std::vector<std::string>{"a", "b"}));
}

TEST(Parameters, ExactChoicesAreWordedAsTheCommandLineWordsThem) {
  ParamInfo p = info(ParamType::text);
  p.match = evident::ChoiceMatch::exact;
  p.choices = {"only0", "all"};
  EXPECT_EQ(text_problem(p, "all"), "");
  EXPECT_EQ(text_problem(p, "All"), "All not in {only0,all}");
}

TEST(Parameters, MessagesNameParametersForEachFrontEndToSpell) {
  const std::string message =
      evident::param_ref("ref") + " needs " + evident::param_ref("mods") + " (see {braces})";
  EXPECT_EQ(
      evident::spell_params(message, [](std::string_view n) { return "--" + std::string(n); }),
      "--ref needs --mods (see {braces})");
  EXPECT_EQ(evident::spell_params(message, [](std::string_view n) { return std::string(n); }),
            "ref needs mods (see {braces})");
}

TEST(Parameters, SetterFindsNamesAndAliasesAndRecordsWhatWasGiven) {
  evident::ModeratorSettings s;
  evident::ParamSetter<evident::ModeratorSettings> setter(evident::moderator_parameters(), s);
  ASSERT_FALSE(setter.set("tau2", ParamValue(std::string("common"))));  // the old name
  EXPECT_EQ(s.subgroup_tau2, evident::SubgroupTau2::common);
  EXPECT_TRUE(setter.given().contains("subgroup_tau2"));
  const auto unknown = setter.set("tau", ParamValue(std::string("common")));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->message, "unknown parameter");
  // A value that fails its check leaves the target as it was.
  ASSERT_TRUE(setter.set_text("ref", {"no-equals-sign"}));
  EXPECT_TRUE(s.moderators.reference.empty());
  EXPECT_FALSE(setter.given().contains("ref"));
}

// The rules between the analysis parameters, which every front end runs after setting values.
evident::AnalysisSpec analysis(const std::vector<std::pair<std::string, ParamValue>>& values,
                               std::optional<evident::ParamProblem>* problem = nullptr) {
  evident::AnalysisSpec spec;
  evident::ParamSetter<evident::AnalysisSpec> setter(evident::analysis_parameters(), spec);
  for (const auto& [name, value] : values) {
    const auto p = setter.set(name, value);
    EXPECT_FALSE(p) << name << ": " << p->message;
  }
  const auto p = setter.finish();
  if (problem != nullptr) *problem = p;
  return spec;
}

ParamValue text(const char* s) {
  return ParamValue(std::string(s));
}

TEST(Parameters, AnalysisRulesFillDefaultsThatDependOnOtherValues) {
  EXPECT_EQ(analysis({{"measure", text("PFT")}}).effect.add, 0.0);  // escalc's default for PFT
  EXPECT_EQ(analysis({{"measure", text("PFT")}, {"add", ParamValue(0.5)}}).effect.add, 0.5);
  EXPECT_EQ(analysis({{"measure", text("OR")}}).effect.add, 0.5);

  EXPECT_TRUE(analysis({{"method", text("MH")}}).effect.drop00);
  EXPECT_FALSE(analysis({{"method", text("MH")}, {"drop00", ParamValue(false)}}).effect.drop00);
  EXPECT_FALSE(analysis({{"method", text("DL")}}).effect.drop00);

  // The measure the method implies (rma.mh's OR, rma.peto's PETO).
  EXPECT_EQ(analysis({{"method", text("MH")}}).effect.measure, evident::Measure::OR);
  EXPECT_EQ(analysis({{"method", text("PETO")}, {"measure", text("OR")}}).effect.measure,
            evident::Measure::PETO);
}

TEST(Parameters, TransfAppliesOnlyToGenericInput) {
  std::optional<evident::ParamProblem> problem;
  (void)analysis({{"transf", text("log")}, {"measure", text("GEN")}}, &problem);
  EXPECT_FALSE(problem);
  (void)analysis({{"transf", text("log")}, {"measure", text("RR")}}, &problem);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->param, "transf");
  EXPECT_EQ(evident::spell_params(problem->message,
                                  [](std::string_view n) { return "--" + std::string(n); }),
            "--transf applies to effect sizes given directly (yi with a confidence interval or "
            "p-value), not to --measure RR");
}

TEST(Parameters, ModeratorRulesNameTheParameterThatNeedsAnother) {
  auto problem = [](const std::vector<std::pair<std::string, ParamValue>>& values) {
    evident::ModeratorSettings s;
    evident::ParamSetter<evident::ModeratorSettings> setter(evident::moderator_parameters(), s);
    for (const auto& [name, value] : values)
      EXPECT_FALSE(setter.set(name, value)) << name;
    return setter.finish();
  };
  const auto ref = problem({{"ref", text("alloc=random")}});
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->param, "ref");
  EXPECT_EQ(ref->message, "${ref} needs ${mods}");
  const auto tau2 = problem({{"subgroup_tau2", text("common")}});
  ASSERT_TRUE(tau2);
  EXPECT_EQ(tau2->param, "subgroup_tau2");
  EXPECT_FALSE(problem({{"subgroup_tau2", text("common")}, {"subgroup", text("alloc")}}));
  EXPECT_FALSE(
      problem({{"mods", text("ablat,alloc")}, {"permutations", ParamValue(std::int64_t{99})}}));
}

TEST(Parameters, InfluenceSharesTheModeratorDeclarations) {
  for (const char* name : {"mods", "ref"}) {
    const auto* a = evident::moderator_parameters().find(name);
    const auto* b = evident::influence_parameters().find(name);
    ASSERT_TRUE(a && b) << name;
    EXPECT_EQ(a->help, b->help) << name;
    EXPECT_EQ(a->delimiter, b->delimiter) << name;
  }
}

// Every table: unique names, a help text and a setter for each parameter, and each default it
// shows is a value its own check accepts.
template <class Target>
void expect_consistent(const evident::ParameterTable<Target>& table) {
  std::set<std::string> names;
  const Target defaults{};
  for (const auto& p : table.params) {
    EXPECT_TRUE(names.insert(p.name).second) << "two parameters named " << p.name;
    for (const std::string& a : p.aliases)
      EXPECT_TRUE(names.insert(a).second) << "alias " << a << " is taken";
    EXPECT_FALSE(p.help.empty()) << p.name;
    EXPECT_TRUE(static_cast<bool>(p.set)) << p.name;
    if (!p.get) continue;
    if (const auto value = p.get(defaults)) {
      ParamValue v;
      const auto problem = evident::value_from_typed(p, *value, v);
      EXPECT_FALSE(problem) << p.name << "'s default: " << *problem;
    }
  }
}

TEST(Parameters, EveryCoreTableIsConsistent) {
  expect_consistent(evident::analysis_parameters());
  expect_consistent(evident::moderator_parameters());
  expect_consistent(evident::influence_parameters());
  expect_consistent(evident::bias_parameters());
}

}  // namespace

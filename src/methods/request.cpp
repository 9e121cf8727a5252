#include "evident/methods/request.hpp"

#include <fmt/format.h>

#include <functional>

namespace evident {

namespace {

// The table of a kind's own settings, with its target in the request.
template <class F>
auto with_kind_table(Request& r, RequestKind kind, F&& f) {
  switch (kind) {
    case RequestKind::influence:
      return f(influence_parameters(), r.influence);
    case RequestKind::bias:
      return f(bias_parameters(), r.bias);
    case RequestKind::sequential:
      return f(sequential_parameters(), r.sequential);
    case RequestKind::fit:
      break;
  }
  return f(moderator_parameters(), r.moderators);
}

template <class Target>
std::optional<ParamProblem> set_values(const ParameterTable<Target>& table, Target& target,
                                       std::span<const NamedValue> values,
                                       const std::function<bool(std::string_view)>& claimed) {
  ParamSetter<Target> setter(table, target);
  for (const auto& [name, value] : values) {
    if (table.find(name) == nullptr || claimed(name)) continue;
    if (auto problem = setter.set(name, value)) return problem;
  }
  return setter.finish();
}

std::string_view kind_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::influence:
      return "influence";
    case RequestKind::bias:
      return "bias";
    case RequestKind::sequential:
      return "sequential";
    case RequestKind::fit:
      break;
  }
  return "fit";
}

}  // namespace

std::optional<ParamProblem> set_request(Request& request, RequestKind kind,
                                        std::span<const NamedValue> values) {
  request.kind = kind;
  const ParameterTable<AnalysisSpec>& analysis = analysis_parameters();
  for (const NamedValue& named : values) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& name = named.first;
    const bool known = analysis.find(name) != nullptr ||
                       with_kind_table(request, kind, [&](const auto& table, auto&) {
                         return table.find(name) != nullptr;
                       });
    if (!known) return ParamProblem{name, "unknown parameter"};
  }
  auto in_analysis = [&](std::string_view name) { return analysis.find(name) != nullptr; };
  auto none = [](std::string_view) { return false; };
  if (auto problem = set_values(analysis, request.analysis, values, none)) {
    return problem;
  }
  if (auto problem = with_kind_table(request, kind, [&](const auto& table, auto& target) {
        return set_values(table, target, values, in_analysis);
      })) {
    return problem;
  }
  if (request.analysis.multilevel.active()) {
    const ModeratorSettings& m = request.moderators;
    if (!request.analysis.multilevel.V.empty()) {
      return ParamProblem{"V",
                          "a sampling covariance file is read by the command line (evident "
                          "fit --V) only, so far"};
    }
    const char* refused = kind != RequestKind::fit ? "random"
                          : !m.subgroup.empty()    ? "subgroup"
                          : !m.predict.empty()     ? "predict"
                          : m.permutations > 0     ? "permutations"
                                                   : nullptr;
    if (refused != nullptr) {
      return ParamProblem{
          refused, kind != RequestKind::fit
                       ? fmt::format("{} does not take multilevel models ({}) yet", kind_name(kind),
                                     param_ref("random"))
                       : fmt::format("{} is not available for multilevel models ({}) yet",
                                     param_ref(refused), param_ref("random"))};
    }
  }
  // A trial sequential analysis refits the analysis (MH and PETO included) after each study.
  const bool needs_yi_vi =
      (kind != RequestKind::fit && kind != RequestKind::sequential) || request.moderators.active();
  if (needs_yi_vi && works_on_counts(request.analysis.fit.method)) {
    const std::string what = kind != RequestKind::fit              ? std::string(kind_name(kind))
                             : request.moderators.subgroup.empty() ? param_ref("mods")
                                                                   : param_ref("subgroup");
    return ParamProblem{
        "method",
        fmt::format("{} needs an inverse-variance model ({} FE, DL, HE, HS, SJ, ML, REML, EB or "
                    "PM); {} {} pools the 2x2 tables themselves",
                    what, param_ref("method"), param_ref("method"),
                    method_name(request.analysis.fit.method))};
  }
  return std::nullopt;
}

RequestResult run_request(const StudyTable& table, const Request& request) {
  const AnalysisSpec& spec = request.analysis;
  switch (request.kind) {
    case RequestKind::influence:
      return analyse_influence(table, spec, request.influence.moderators, request.influence.order);
    case RequestKind::bias:
      return analyse_bias(table, spec, request.bias);
    case RequestKind::sequential:
      return analyse_sequential(table, spec, request.sequential);
    case RequestKind::fit:
      break;
  }
  const ModeratorSettings& m = request.moderators;
  if (spec.multilevel.active()) return analyse_multilevel(table, spec, m.moderators);
  if (!m.subgroup.empty()) return analyse_subgroups(table, spec, m.subgroup, m.subgroup_tau2);
  if (m.active()) return analyse_metareg(table, spec, m.metareg());
  return analyse(table, spec);
}

std::vector<const ParamInfo*> request_parameters(RequestKind kind) {
  std::vector<const ParamInfo*> out;
  for (const auto& p : analysis_parameters().params)
    out.push_back(&p);
  Request r;
  with_kind_table(r, kind, [&](const auto& table, auto&) {
    for (const auto& p : table.params)
      out.push_back(&p);
    return 0;
  });
  return out;
}

}  // namespace evident

#pragma once
/// \file
/// One call of a front end that is not a command line (the Python package, a web page): the
/// parameters of `evident fit`, `influence` or `bias` given by name as typed values, set through
/// the same parameter tables (methods/parameters.hpp) and run on a table. The command line parses
/// its words into the same targets; what it then runs is run_request.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "evident/io/table.hpp"
#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"

namespace evident {

/// Which analysis a request runs, named as the command line's subcommands.
enum class RequestKind {
  fit,         ///< a pooled analysis, a meta-regression (mods) or subgroups (subgroup)
  influence,   ///< leave-one-out, influence diagnostics, cumulative, Baujat
  bias,        ///< Egger, Begg, trim-and-fill, fail-safe N, PET-PEESE, funnel data
  sequential,  ///< trial sequential analysis
};

/// Everything a request sets: the analysis, and the settings of its kind (the others keep their
/// defaults).
struct Request {
  RequestKind kind = RequestKind::fit;
  /// As the command line's (threads 0: a very large analysis sums on every core).
  AnalysisSpec analysis = [] {
    AnalysisSpec spec;
    spec.fit.threads = 0;
    return spec;
  }();
  ModeratorSettings moderators;   ///< fit
  InfluenceSettings influence;    ///< influence
  BiasOptions bias;               ///< bias
  SequentialSettings sequential;  ///< sequential
};

/// A named value, as a keyword argument gives it.
using NamedValue = std::pair<std::string, ParamValue>;

/// Sets the parameters of a request of `kind` from named typed values (value_from_typed): each
/// name is looked up in analysis_parameters() and in the table of the kind (moderator_parameters,
/// influence_parameters or bias_parameters), then every table's rules run, then the rule between
/// them: influence, bias, mods and subgroup need an inverse-variance method (not MH or PETO).
/// Returns the first problem, naming its parameter (a name no table knows: "unknown parameter"),
/// with other parameters named as ${name} (spell_params). Thread-safe.
[[nodiscard]] std::optional<ParamProblem> set_request(Request& request, RequestKind kind,
                                                      std::span<const NamedValue> values);

/// The result of a request: a pooled analysis, a meta-regression, subgroups, influence or bias.
using RequestResult = std::variant<Analysis, MetaRegAnalysis, SubgroupAnalysis, InfluenceAnalysis,
                                   BiasAnalysis, SequentialResult, MultilevelAnalysis>;

/// Runs the request on the table, as `evident fit|influence|bias|sequential` does: analyse,
/// analyse_metareg, analyse_subgroups, analyse_influence, analyse_bias or analyse_sequential.
/// Throws InputError for bad input.
[[nodiscard]] RequestResult run_request(const StudyTable& table, const Request& request);

/// The parameters a request of `kind` takes (analysis first), for front ends that list them.
[[nodiscard]] std::vector<const ParamInfo*> request_parameters(RequestKind kind);

}  // namespace evident

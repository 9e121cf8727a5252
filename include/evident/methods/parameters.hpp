#pragma once
/// \file
/// Parameters declared once. Each parameter of an analysis (and of the methods run on it) is one
/// entry of a table: its name, type, allowed values, help text, check and how it sets its target;
/// its default is the target's own default value. Every front end is built from these tables: the
/// command line registers its options from them (type names, checks, defaults, help), a review
/// manifest reads its keys through them, and a Python binding would take its keyword arguments
/// through them, so the front ends cannot drift apart.
///
/// A front end gives each value either as text (a command line's word: value_from_text) or typed
/// (a TOML number, boolean or string; a Python float, int, bool, str or list: value_from_typed),
/// sets the values it was given through a ParamSetter and then calls ParamSetter::finish, which
/// runs the rules between parameters (for an analysis: resolve_analysis). A problem is returned
/// as a ParamProblem naming the parameter, never thrown: the front end says where it was (a flag,
/// a manifest's file:line:column and key path, a keyword argument).
///
/// Messages and help texts name other parameters as `${name}` (param_ref); each front end spells
/// them its own way (`--name`, `name`) with spell_params.
///
/// Tables are built once and never change; reading them is thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "evident/effect/effect.hpp"
#include "evident/effect/moderators.hpp"
#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/summary.hpp"

namespace evident {

/// What kind of value a parameter takes. Each type has one conversion from text and one from
/// typed values (value_from_text, value_from_typed), whatever the front end.
enum class ParamType {
  text,         ///< a string
  number,       ///< a double
  count,        ///< a whole number, 0 or more (std::uint64_t)
  boolean,      ///< true or false, given as a value (`--drop00 true`, `drop00 = true`)
  flag,         ///< true when present (`--contours`); false by default
  text_list,    ///< strings (`--mods a,b`, `--ref a=1 --ref b=2`)
  number_list,  ///< doubles (`--contours 10,5,1`)
};

/// A value as a front end gives it, or as a parameter holds it once converted: text is
/// std::string, number double, count std::uint64_t, boolean and flag bool, text_list
/// std::vector<std::string>, number_list std::vector<double>. Typed front ends may also give an
/// std::int64_t (a TOML or Python integer) where a number or count is expected.
using ParamValue = std::variant<bool, std::int64_t, std::uint64_t, double, std::string,
                                std::vector<std::string>, std::vector<double>>;

/// How a parameter's allowed values are matched.
enum class ChoiceMatch {
  none,   ///< any value of its type that the check accepts
  exact,  ///< one of `choices`, spelled exactly (a command line shows them as {a,b,c})
  named,  ///< a name the check knows (e.g. case-insensitive, with aliases); `choices` lists the
          ///< names for documentation and for hints such as "(known: ...)"
};

/// A value that a parameter does not accept, or parameters that do not fit together.
struct ParamProblem {
  std::string param;    ///< the parameter's name; empty: the parameters as a whole
  std::string message;  ///< may name parameters as ${name}: see spell_params
};

/// `${name}`: how a message or help text names a parameter, for each front end to spell.
[[nodiscard]] std::string param_ref(std::string_view name);
/// The text with every `${name}` replaced by `spell(name)` (e.g. "--name" on a command line).
[[nodiscard]] std::string spell_params(std::string_view text,
                                       const std::function<std::string(std::string_view)>& spell);

/// What a parameter is, apart from its target: everything a front end needs to present it and
/// everything that checks a value.
struct ParamInfo {
  /// snake_case; a command line spells it `--name-with-dashes` (FILE for a positional `file`).
  std::string name;
  ParamType type = ParamType::text;
  /// One paragraph; may name other parameters as ${name}. Lines after the first (e.g. the list
  /// of measures) are shown by the command line's help only.
  std::string help;
  /// The allowed values, when they form a closed list (see `match`).
  std::vector<std::string> choices;
  ChoiceMatch match = ChoiceMatch::none;
  /// What the check allows, in a few words shown after the type (e.g. "in (0, 100)", "PATH").
  std::string check_note;
  /// The default in words, for a parameter whose default is not a fixed value (e.g. "from the
  /// measure"); otherwise the default is the target's value (Param::get).
  std::string default_note;
  bool required = false;
  /// Given by position on a command line (FILE, DIR), not by name.
  bool positional = false;
  /// Other names accepted for it (kept for compatibility; not shown in help).
  std::vector<std::string> aliases;
  /// Lists: one text holds several items separated by this (0: one item per text).
  char delimiter = 0;
  /// Lists on a command line: the words after the flag are items too (`--ref a=1 b=2`), until
  /// the next flag. False: one item per use of the flag.
  bool greedy = true;
  /// The check of a converted value (of the whole list, for lists), beyond its type and
  /// `choices`: empty if the value is accepted, else why not.
  std::function<std::optional<std::string>(const ParamValue&)> check;
};

/// Converts one command-line word to the parameter's type (for a list, its items split at the
/// delimiter, empty items kept) and checks it. Empty if accepted, else the problem; `out` holds the value when accepted.
[[nodiscard]] std::optional<std::string> value_from_text(const ParamInfo& info,
                                                         std::string_view text, ParamValue& out);
/// Converts a typed value (a number, boolean, string or list from TOML or Python) to the
/// parameter's type and checks it: an integer is a number, a string is a list of one (split at
/// the delimiter), a number is a list of one.
[[nodiscard]] std::optional<std::string> value_from_typed(const ParamInfo& info,
                                                          const ParamValue& in, ParamValue& out);
/// A value as text: numbers with the fewest digits that read back the same, lists joined by
/// commas, booleans as true or false.
[[nodiscard]] std::string value_text(const ParamValue& value);

/// A parameter with its target: how a converted value sets it, and its current value (the
/// default, on a default target) when it has one to show.
template <class Target>
struct Param : ParamInfo {
  std::function<void(Target&, const ParamValue&)> set;
  /// Empty function or nullopt: no value to show (see ParamInfo::default_note).
  std::function<std::optional<ParamValue>(const Target&)> get;
};

/// The names of the parameters a front end gave.
class GivenParams {
 public:
  void add(std::string_view name) {
    if (!contains(name)) names_.emplace_back(name);
  }
  [[nodiscard]] bool contains(std::string_view name) const {
    for (const std::string& n : names_) {
      if (n == name) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> names_;
};

/// The parameters of one target, with the rules between them.
template <class Target>
struct ParameterTable {
  std::vector<Param<Target>> params;
  /// Rules between parameters, run once after the values are set: defaults that depend on other
  /// values, combinations that do not fit. Empty function: none.
  std::function<std::optional<ParamProblem>(Target&, const GivenParams&)> finish;

  /// The parameter of a name or alias; nullptr if none.
  [[nodiscard]] const Param<Target>* find(std::string_view name) const {
    for (const Param<Target>& p : params) {
      if (p.name == name) return &p;
      for (const std::string& a : p.aliases) {
        if (a == name) return &p;
      }
    }
    return nullptr;
  }
};

/// Sets parameters of a table on a target, one at a time, then runs the table's rules.
template <class Target>
class ParamSetter {
 public:
  ParamSetter(const ParameterTable<Target>& table, Target& target)
      : table_(table), target_(target) {}

  /// Sets a parameter (by name or alias) from a typed value; the target is unchanged on a
  /// problem.
  std::optional<ParamProblem> set(std::string_view name, const ParamValue& value) {
    const Param<Target>* p = table_.find(name);
    if (p == nullptr) return ParamProblem{std::string(name), "unknown parameter"};
    ParamValue converted;
    if (auto problem = value_from_typed(*p, value, converted))
      return ParamProblem{p->name, *problem};
    return assign(*p, converted);
  }

  /// Sets a parameter from command-line words: one for a scalar (the last counts), each an item
  /// for a list (the command line has split them at the delimiter).
  std::optional<ParamProblem> set_text(std::string_view name,
                                       const std::vector<std::string>& words) {
    const Param<Target>* p = table_.find(name);
    if (p == nullptr) return ParamProblem{std::string(name), "unknown parameter"};
    if (words.empty()) return ParamProblem{p->name, "expected a value"};
    ParamValue all;
    for (const std::string& word : words) {
      ParamValue one;
      if (auto problem = value_from_text(*p, word, one)) return ParamProblem{p->name, *problem};
      if (auto* items = std::get_if<std::vector<std::string>>(&one)) {
        if (!std::holds_alternative<std::vector<std::string>>(all))
          all = std::vector<std::string>{};
        auto& into = std::get<std::vector<std::string>>(all);
        into.insert(into.end(), items->begin(), items->end());
      } else if (auto* numbers = std::get_if<std::vector<double>>(&one)) {
        if (!std::holds_alternative<std::vector<double>>(all)) all = std::vector<double>{};
        auto& into = std::get<std::vector<double>>(all);
        into.insert(into.end(), numbers->begin(), numbers->end());
      } else {
        all = std::move(one);
      }
    }
    return assign(*p, all);
  }

  /// Runs the table's rules between parameters (once, after every value is set).
  std::optional<ParamProblem> finish() {
    if (!table_.finish) return std::nullopt;
    return table_.finish(target_, given_);
  }

  [[nodiscard]] const GivenParams& given() const noexcept { return given_; }

 private:
  std::optional<ParamProblem> assign(const Param<Target>& p, const ParamValue& value) {
    p.set(target_, value);
    given_.add(p.name);
    return std::nullopt;
  }

  const ParameterTable<Target>& table_;
  Target& target_;
  GivenParams given_;
};

/// A parameter of `Inner` as a parameter of `Outer`, which holds an Inner at `field(outer)`: one
/// declaration shared by several targets (e.g. --mods and --ref of fit and of influence).
template <class Outer, class Inner, class Field>
[[nodiscard]] Param<Outer> lift_param(const Param<Inner>& p, Field field) {
  Param<Outer> out;
  static_cast<ParamInfo&>(out) = static_cast<const ParamInfo&>(p);
  out.set = [set = p.set, field](Outer& o, const ParamValue& v) { set(field(o), v); };
  if (p.get) {
    out.get = [get = p.get, field](const Outer& o) { return get(field(o)); };
  }
  return out;
}

// ---- building declarations --------------------------------------------------------------------
//
// A field is a generic lambda giving the member a parameter sets, for a const and a non-const
// target alike: [](auto& s) -> auto& { return s.effect.to; }.

namespace detail {

template <class Target, class Field>
using FieldOf = std::remove_cvref_t<decltype(std::declval<Field>()(std::declval<Target&>()))>;

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

}  // namespace detail

/// A parameter of a type whose converted value is assigned to the field as it is (text:
/// std::string; number: double or std::optional<double>; count: an unsigned integer; boolean
/// and flag: bool; text_list: std::vector<std::string>; number_list: std::vector<double>). The
/// default shown is the field's value (nothing for an empty text or list, or an unset optional).
template <class Target, class Field>
[[nodiscard]] Param<Target> field_param(std::string name, ParamType type, std::string help,
                                        Field field) {
  using T = detail::FieldOf<Target, Field>;
  Param<Target> p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  p.set = [field](Target& t, const ParamValue& v) {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> ||
                  std::is_same_v<T, std::vector<std::string>> ||
                  std::is_same_v<T, std::vector<double>>) {
      field(t) = std::get<T>(v);
    } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::optional<double>>) {
      field(t) = std::get<double>(v);
    } else {
      static_assert(std::is_unsigned_v<T>, "a count sets an unsigned integer");
      field(t) = static_cast<T>(std::get<std::uint64_t>(v));
    }
  };
  p.get = [field](const Target& t) -> std::optional<ParamValue> {
    const T& value = field(t);
    if constexpr (detail::IsOptional<T>::value) {
      if (!value) return std::nullopt;
      return ParamValue(*value);
    } else if constexpr (std::is_same_v<T, std::string> ||
                         std::is_same_v<T, std::vector<std::string>> ||
                         std::is_same_v<T, std::vector<double>>) {
      if (value.empty()) return std::nullopt;
      return ParamValue(value);
    } else if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      return ParamValue(static_cast<std::uint64_t>(value));
    } else {
      return ParamValue(value);
    }
  };
  return p;
}

/// A parameter choosing one of an enum's values by its name (`name_of`), spelled exactly; the
/// field is the enum or an optional of it (unset: no default shown).
template <class Target, class E, class Field>
[[nodiscard]] Param<Target> choice_param(std::string name, std::string help, std::vector<E> values,
                                         std::string_view (*name_of)(E), Field field) {
  Param<Target> p;
  p.name = std::move(name);
  p.type = ParamType::text;
  p.help = std::move(help);
  p.match = ChoiceMatch::exact;
  for (E e : values)
    p.choices.emplace_back(name_of(e));
  p.set = [field, values, name_of](Target& t, const ParamValue& v) {
    const std::string& text = std::get<std::string>(v);
    for (E e : values) {
      if (name_of(e) == text) field(t) = e;
    }
  };
  p.get = [field, name_of](const Target& t) -> std::optional<ParamValue> {
    const auto& value = field(t);
    if constexpr (detail::IsOptional<std::remove_cvref_t<decltype(value)>>::value) {
      if (!value) return std::nullopt;
      return ParamValue(std::string(name_of(*value)));
    } else {
      return ParamValue(std::string(name_of(value)));
    }
  };
  return p;
}

// ---- the parameters of an analysis ------------------------------------------------------------

/// The parameters of an AnalysisSpec: measure, method, test, level, add, to, drop00, multiarm,
/// transf. Their rules are resolve_analysis.
[[nodiscard]] const ParameterTable<AnalysisSpec>& analysis_parameters();

/// The rules between the analysis parameters, which every front end runs after setting the
/// values it was given (`given`): add defaults to escalc's for the measure (default_add) and
/// drop00 to true for MH and PETO (as rma.mh and rma.peto), transf applies only to generic input
/// (measure GEN), and the measure is the one the method implies (resolve_measure).
[[nodiscard]] std::optional<ParamProblem> resolve_analysis(AnalysisSpec& spec,
                                                           const GivenParams& given);

// ---- the parameters of the methods on a fit ---------------------------------------------------

/// What a meta-regression or a subgroup analysis is asked for (`evident fit --mods` or
/// `--subgroup`).
struct ModeratorSettings {
  ModeratorSpec moderators;              ///< mods, ref
  std::vector<ModeratorValues> predict;  ///< points to predict at
  std::size_t permutations = 0;          ///< permutation test with this many; 0: none
  std::uint64_t seed = PermutationOptions{}.seed;
  std::string subgroup;  ///< subgroup column; empty: none
  SubgroupTau2 subgroup_tau2 = SubgroupTau2::separate;

  /// True when a meta-regression or a subgroup analysis is asked for.
  [[nodiscard]] bool active() const noexcept {
    return !moderators.terms.empty() || !subgroup.empty();
  }
  /// The meta-regression asked for.
  [[nodiscard]] MetaRegRequest metareg() const;
};

/// mods, ref, predict, permutations, seed, subgroup, subgroup_tau2 (alias tau2). Rules: ref,
/// predict and permutations need mods; subgroup_tau2 common needs subgroup; not both mods and
/// subgroup.
[[nodiscard]] const ParameterTable<ModeratorSettings>& moderator_parameters();

/// What `evident influence` is asked for besides the analysis.
struct InfluenceSettings {
  ModeratorSpec moderators;  ///< influence diagnostics of this meta-regression, when it has terms
  std::string order;         ///< column ordering the cumulative meta-analysis; empty: input order
};

/// mods and ref (the same declarations as moderator_parameters), order.
[[nodiscard]] const ParameterTable<InfluenceSettings>& influence_parameters();

/// predictor, egger_model, estimator, side, fsn_alpha, orwin_target, pet_peese_alpha, contours.
[[nodiscard]] const ParameterTable<BiasOptions>& bias_parameters();

}  // namespace evident

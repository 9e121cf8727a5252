#pragma once
// A subcommand's options, built from parameter tables (evident/methods/parameters.hpp): one
// generic registration gives each parameter its CLI11 option (type name, check, default, help)
// and, once the command line is parsed, sets the targets and runs each table's rules. The
// commands only say which tables they take, in the order their help lists them.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evident/methods/parameters.hpp"

namespace evident::cli {

/// How the command line spells a parameter's name: `--name-with-dashes`.
[[nodiscard]] std::string flag_name(std::string_view name);
/// The name of a parameter's option: its flag, or NAME for a positional one (FILE, DIR).
[[nodiscard]] std::string option_name(const ParamInfo& info);
/// A text naming parameters as ${name} (help, messages), with each spelled `--name`.
[[nodiscard]] std::string cli_text(std::string_view text);

/// The words given for one parameter's options (its name and its aliases), where CLI11 stores
/// them.
struct OptionWords {
  const ParamInfo* info = nullptr;
  std::string word;                // a scalar's value
  std::vector<std::string> words;  // a list's items
  std::vector<std::string> alias_words;
  bool flag = false;
  CLI::Option* option = nullptr;
  std::vector<CLI::Option*> aliases;

  [[nodiscard]] bool given() const;
  /// The alias the command line used, if it used one and not the parameter's own name.
  [[nodiscard]] std::optional<std::string> alias_used() const;
  /// What was given, as set_text takes it.
  [[nodiscard]] std::vector<std::string> texts() const;
};

/// Registers one parameter's options on `command`; `current` is the target's value, shown as the
/// default.
[[nodiscard]] std::unique_ptr<OptionWords> register_param(CLI::App& command, const ParamInfo& info,
                                                          const std::optional<ParamValue>& current);

/// The options of one subcommand.
class CommandOptions {
 public:
  explicit CommandOptions(CLI::App& command) : command_(&command) {}

  /// Adds the options of every parameter of `table`, which set `target` (kept by reference: it
  /// must outlive apply()).
  template <class Target>
  void add(const ParameterTable<Target>& table, Target& target) {
    auto binding = std::make_unique<Binding<Target>>(table, target);
    for (const Param<Target>& p : table.params) {
      binding->words.push_back(
          register_param(*command_, p, p.get ? p.get(target) : std::optional<ParamValue>{}));
    }
    bindings_.push_back(std::move(binding));
  }

  /// Sets every target from the parsed command line and runs each table's rules, in the order
  /// the tables were added. Throws InputError naming the option (or the subcommand, for a
  /// problem of its options as a whole).
  void apply();

 private:
  struct BindingBase {
    virtual ~BindingBase() = default;
    // The first problem, with the spelling of the parameters it names.
    [[nodiscard]] virtual std::optional<ParamProblem> apply() = 0;
    [[nodiscard]] std::string spell(std::string_view name) const;
    std::vector<std::unique_ptr<OptionWords>> words;
  };

  template <class Target>
  struct Binding : BindingBase {
    Binding(const ParameterTable<Target>& table, Target& target) : setter(table, target) {}
    std::optional<ParamProblem> apply() override {
      for (const auto& w : words) {
        if (!w->given()) continue;
        const std::optional<ParamProblem> problem =
            w->info->type == ParamType::flag ? setter.set(w->info->name, ParamValue(true))
                                             : setter.set_text(w->info->name, w->texts());
        if (problem) return problem;
      }
      return setter.finish();
    }
    ParamSetter<Target> setter;
  };

  CLI::App* command_;
  std::vector<std::unique_ptr<BindingBase>> bindings_;
};

}  // namespace evident::cli

#include "command_options.hpp"

#include <fmt/format.h>

#include <cctype>
#include <sstream>
#include <utility>

#include "evident/io/error.hpp"

namespace evident::cli {

namespace {

// CLI11's word for the type of a value, as its help has always shown it.
std::string type_name(ParamType type) {
  switch (type) {
    case ParamType::number:
    case ParamType::number_list:
      return "FLOAT";
    case ParamType::count:
      return "UINT";
    case ParamType::flag:
      return "";
    case ParamType::text:
    case ParamType::boolean:
    case ParamType::text_list:
      return "TEXT";
  }
  return "TEXT";
}

// What the help shows after the type: the choices as CLI11's IsMember shows them, or the note.
std::string check_description(const ParamInfo& info) {
  if (info.match == ChoiceMatch::exact) return fmt::format("{{{}}}", fmt::join(info.choices, ","));
  if (info.type == ParamType::boolean) return "{true,false}";
  return info.check_note;
}

// A default as CLI11's capture_default_str writes it: numbers as a stream writes them, lists in
// brackets.
struct DefaultText {
  std::string operator()(double d) const {
    std::ostringstream s;
    s << d;
    return s.str();
  }
  std::string operator()(const std::vector<double>& v) const {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      out += (i ? "," : "") + (*this)(v[i]);
    return out + "]";
  }
  std::string operator()(const std::vector<std::string>& v) const {
    return fmt::format("[{}]", fmt::join(v, ","));
  }
  template <class T>
  std::string operator()(const T& other) const {
    return value_text(other);
  }
};

// Checks each word as it is parsed, so a bad value is reported as CLI11 reports a usage error:
// `evident: --method: unknown method 'XYZ'`. `self` is the flag the word was given with.
CLI::Validator validator(const ParamInfo& info, std::string self) {
  return CLI::Validator(
      [&info, self](std::string& text) -> std::string {
        ParamValue value;
        const auto problem = value_from_text(info, text, value);
        if (!problem) return {};
        return spell_params(*problem, [&](std::string_view name) {
          return name == info.name ? self : flag_name(name);
        });
      },
      check_description(info), info.name);
}

CLI::Option* add_one(CLI::App& command, const ParamInfo& info, const std::string& name,
                     OptionWords& w, bool alias) {
  const std::string help = cli_text(info.help);
  CLI::Option* o = nullptr;
  if (info.type == ParamType::flag) {
    o = command.add_flag(name, w.flag, help);
  } else if (info.type == ParamType::text_list || info.type == ParamType::number_list) {
    o = command.add_option(name, alias ? w.alias_words : w.words, help);
    // Items are split at the delimiter by value_from_text, not by CLI11, which drops empty
    // items (`--mods ,` would be "1 required TEXT missing").
    if (!info.greedy) o->allow_extra_args(false);
  } else {
    o = command.add_option(name, w.word, help);
  }
  if (info.type != ParamType::flag) {
    o->type_name(type_name(info.type));
    const bool checked = info.type != ParamType::text || info.match != ChoiceMatch::none ||
                         static_cast<bool>(info.check);
    if (checked) o->check(validator(info, name));
  }
  if (info.required && !alias) o->required();
  return o;
}

}  // namespace

std::string flag_name(std::string_view name) {
  std::string out = "--";
  for (char ch : name)
    out += ch == '_' ? '-' : ch;
  return out;
}

std::string option_name(const ParamInfo& info) {
  if (!info.positional) return flag_name(info.name);
  std::string name = info.name;
  for (char& ch : name)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::string cli_text(std::string_view text) {
  return spell_params(text, [](std::string_view name) { return flag_name(name); });
}

bool OptionWords::given() const {
  if (option->count() > 0) return true;
  for (const CLI::Option* a : aliases) {
    if (a->count() > 0) return true;
  }
  return false;
}

std::optional<std::string> OptionWords::alias_used() const {
  if (option->count() > 0) return std::nullopt;
  for (const CLI::Option* a : aliases) {
    if (a->count() > 0) return a->get_name();
  }
  return std::nullopt;
}

std::vector<std::string> OptionWords::texts() const {
  if (info->type == ParamType::text_list || info->type == ParamType::number_list) {
    std::vector<std::string> all = words;
    all.insert(all.end(), alias_words.begin(), alias_words.end());
    return all;
  }
  // A scalar's name and aliases store into one word: the last given counts, as for a name
  // given twice.
  return {word};
}

std::unique_ptr<OptionWords> register_param(CLI::App& command, const ParamInfo& info,
                                            const std::optional<ParamValue>& current) {
  auto w = std::make_unique<OptionWords>();
  w->info = &info;
  w->option = add_one(command, info, option_name(info), *w, false);
  if (current) w->option->default_str(std::visit(DefaultText{}, *current));
  if (!info.aliases.empty()) {
    // Aliases are kept for the scripts that use them, not advertised: an option group without a
    // group name is parsed with the command and left out of its help.
    CLI::App* hidden = command.add_option_group("");
    for (const std::string& alias : info.aliases)
      w->aliases.push_back(add_one(*hidden, info, flag_name(alias), *w, true));
  }
  return w;
}

std::string CommandOptions::BindingBase::spell(std::string_view name) const {
  for (const auto& w : words) {
    if (w->info->name != name) continue;
    if (auto alias = w->alias_used()) return *alias;
    return w->option->get_name();
  }
  return flag_name(name);
}

void CommandOptions::apply() {
  for (const auto& binding : bindings_) {
    const std::optional<ParamProblem> problem = binding->apply();
    if (!problem) continue;
    auto spell = [&](std::string_view name) { return binding->spell(name); };
    const std::string where =
        problem->param.empty() ? "evident " + command_->get_name() : spell(problem->param);
    throw InputError({where, 0, 0}, spell_params(problem->message, spell));
  }
}

}  // namespace evident::cli

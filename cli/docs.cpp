#include "docs.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "command_options.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/trial_sequential.hpp"
#include "evident/report/plot_parameters.hpp"
#include "option_tables.hpp"

namespace evident::cli {

namespace {

// How a document names parameters and writes values: as command-line options or as manifest
// keys.
enum class Dialect { cli, toml };

std::string spelled(std::string_view name, Dialect d) {
  return fmt::format("`{}`", d == Dialect::cli ? flag_name(name) : std::string(name));
}

std::string spell_text(std::string_view text, Dialect d) {
  return spell_params(text, [d](std::string_view name) { return spelled(name, d); });
}

// A table cell: one line, no bar that would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') {
      out += "\\|";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string literal(std::string_view value, ParamType type, Dialect d) {
  const bool quoted =
      d == Dialect::toml && (type == ParamType::text || type == ParamType::text_list);
  return quoted ? fmt::format("`\"{}\"`", value) : fmt::format("`{}`", value);
}

// The check note as words: the command line's help shows CLI11's ("FLOAT in [0 - 1]").
std::string note_words(std::string note) {
  for (std::string_view type : {"FLOAT in ", "UINT in "}) {
    if (note.starts_with(type)) {
      note = note.substr(type.size());
      if (const auto dash = note.find(" - "); dash != std::string::npos) {
        note.replace(dash, 3, ", ");
      }
      return "in " + note;
    }
  }
  if (note == "POSITIVE") return "positive";
  if (note == "NONNEGATIVE") return "0 or more";
  if (note == "PATH") return "a file name ending in .svg, .png or .pdf";  // a plot's
  if (note == "FILE") return "a file name";
  return note;
}

std::string value_words(const ParamInfo& p, Dialect d) {
  if (p.match != ChoiceMatch::none) {
    std::vector<std::string> names;
    for (const std::string& c : p.choices)
      names.push_back(literal(c, ParamType::text, d));
    return fmt::format("{}", fmt::join(names, ", "));
  }
  std::string words;
  switch (p.type) {
    case ParamType::text:
      words = "text";
      break;
    case ParamType::number:
      words = "number";
      break;
    case ParamType::count:
      words = "whole number";
      break;
    case ParamType::boolean:
      return "`true`, `false`";
    case ParamType::flag:
      return "(no value)";
    case ParamType::text_list:
      words = p.delimiter != 0    ? fmt::format("texts separated by `{}`", p.delimiter)
              : d == Dialect::cli ? "text, repeatable"
                                  : "a list of texts";
      break;
    case ParamType::number_list:
      words = p.delimiter != 0 ? fmt::format("numbers separated by `{}`", p.delimiter)
                               : "a list of numbers";
      break;
  }
  if (p.check_note.empty()) return words;
  const std::string note = note_words(p.check_note);
  if (note.starts_with("in ")) return words + " " + note;
  if (note == "positive") return "positive " + words;
  if (note == "0 or more") return words + ", 0 or more";
  return note;
}

std::string default_words(const ParamInfo& p, const std::optional<ParamValue>& value, Dialect d) {
  if (p.required) return "(required)";
  if (value) return literal(value_text(*value), p.type, d);
  if (!p.default_note.empty()) return spell_text(p.default_note, d);
  return "none";
}

std::string header(Dialect d) {
  return fmt::format("| {} | value | default | meaning |\n|---|---|---|---|\n",
                     d == Dialect::cli ? "option" : "key");
}

// One row per parameter; the defaults are those of a default target.
template <class Target>
std::string rows(const ParameterTable<Target>& t, Dialect d) {
  const Target defaults{};
  std::string out;
  for (const Param<Target>& p : t.params) {
    const std::string name =
        p.positional ? fmt::format("`{}`", option_name(p)) : spelled(p.name, d);
    // The help's first line: later lines (the measures) are in the value column.
    const std::string help = p.help.substr(0, p.help.find('\n'));
    out += fmt::format("| {} | {} | {} | {} |\n", name, cell(value_words(p, d)),
                       cell(default_words(p, p.get ? p.get(defaults) : std::nullopt, d)),
                       cell(spell_text(help, d)));
  }
  return out;
}

template <class Target>
std::string table(const ParameterTable<Target>& t, Dialect d) {
  return header(d) + rows(t, d);
}

}  // namespace

std::vector<DocBlock> generated_docs() {
  return {
      {"cli.md", "analysis-options", table(analysis_parameters(), Dialect::cli)},
      {"cli.md", "format-option", table(format_parameters(), Dialect::cli)},
      {"cli.md", "moderator-options", table(moderator_parameters(), Dialect::cli)},
      {"cli.md", "influence-options", table(influence_parameters(), Dialect::cli)},
      {"cli.md", "bias-options", table(bias_parameters(), Dialect::cli)},
      {"cli.md", "plot-options", table(plot_parameters(), Dialect::cli)},
      {"cli.md", "sequential-options",
       header(Dialect::cli) + rows(sequential_parameters(), Dialect::cli) +
           rows(sequential_plot_parameters(), Dialect::cli)},
      {"cli.md", "batch-options",
       header(Dialect::cli) + rows(file_parameters(), Dialect::cli) +
           rows(batch_input_parameters(), Dialect::cli) +
           rows(batch_output_parameters(), Dialect::cli)},
      {"cli.md", "simulate-options", table(simulate_parameters(), Dialect::cli)},
      {"review.md", "review-options", table(review_parameters(), Dialect::cli)},
      {"review.md", "analysis-keys", table(analysis_parameters(), Dialect::toml)},
  };
}

std::string begin_marker(const std::string& name) {
  return fmt::format(
      "<!-- generated: {} (from the parameter tables; regenerate with EVIDENT_UPDATE_DOCS=1 "
      "build/tests/evident_tests --gtest_filter='Docs*') -->\n",
      name);
}

std::string end_marker(const std::string& name) {
  return fmt::format("<!-- end of generated: {} -->\n", name);
}

std::string with_generated(std::string text, const std::vector<DocBlock>& blocks,
                           std::vector<std::string>& missing) {
  for (const DocBlock& b : blocks) {
    const std::string begin = begin_marker(b.name), end = end_marker(b.name);
    const auto at = text.find(begin);
    const auto stop = at == std::string::npos ? at : text.find(end, at);
    if (stop == std::string::npos) {
      missing.push_back(b.name);
      continue;
    }
    text.replace(at + begin.size(), stop - at - begin.size(), b.text);
  }
  return text;
}

}  // namespace evident::cli

#include "option_tables.hpp"

#include <fmt/format.h>

#include <limits>

#include "evident/io/table.hpp"
#include "evident/report/report.hpp"

namespace evident::cli {

namespace {

ParameterTable<std::string> make_file_parameters() {
  ParameterTable<std::string> t;
  Param<std::string> file = field_param<std::string>(
      "file", ParamType::text, "CSV file with a header row, or - for standard input",
      [](auto& s) -> auto& { return s; });
  file.positional = true;
  file.required = true;
  t.params.push_back(std::move(file));
  return t;
}

ParameterTable<OutputArgs> make_format_parameters() {
  ParameterTable<OutputArgs> t;
  // The registered renderers (report.hpp): a new one is a new choice.
  Param<OutputArgs> format = field_param<OutputArgs>(
      "format", ParamType::text, "Output: " + renderer_names(),
      [](auto& o) -> auto& { return o.format; });
  format.match = ChoiceMatch::exact;
  for (const Renderer* r : renderers())
    format.choices.emplace_back(r->name());
  t.params.push_back(std::move(format));
  return t;
}

std::string_view batch_format_name(BatchFormat f) noexcept {
  return f == BatchFormat::jsonl ? "jsonl" : "csv";
}

ParameterTable<BatchArgs> make_batch_input_parameters() {
  ParameterTable<BatchArgs> t;
  Param<BatchArgs> by = field_param<BatchArgs>(
      "by", ParamType::text,
      "Column holding the analysis id; the rows of one analysis must be contiguous (an id that "
      "reappears later gets an error row of its own). Required, no default",
      [](auto& a) -> auto& { return a.options.by; });
  by.required = true;
  t.params.push_back(std::move(by));
  return t;
}

ParameterTable<BatchArgs> make_batch_output_parameters() {
  ParameterTable<BatchArgs> t;
  Param<BatchArgs> out = field_param<BatchArgs>(
      "out", ParamType::text,
      "Results file, .csv or .jsonl (written to a temporary file and renamed when complete), or - "
      "for standard output. Required, no default",
      [](auto& a) -> auto& { return a.out; });
  out.required = true;
  t.params.push_back(std::move(out));

  Param<BatchArgs> format = choice_param<BatchArgs>(
      "format",
      "Results format: csv or jsonl (default: from the " + param_ref("out") +
          " file name; csv for -)",
      std::vector<BatchFormat>{BatchFormat::csv, BatchFormat::jsonl}, batch_format_name,
      [](auto& a) -> auto& { return a.options.format; });
  format.get = nullptr;  // from --out: the rule below
  format.default_note = "from the " + param_ref("out") + " file name; csv for -";
  t.params.push_back(std::move(format));

  Param<BatchArgs> threads = field_param<BatchArgs>(
      "threads", ParamType::count,
      "Worker threads (default 0: one per core); the results do not depend on it",
      [](auto& a) -> auto& { return a.options.threads; });
  threads.get = nullptr;
  threads.default_note = "0: one per core";
  threads.check_note = "NONNEGATIVE";
  threads.check = [](const ParamValue& v) -> std::optional<std::string> {
    constexpr auto kMax = std::numeric_limits<unsigned>::max();
    if (std::get<std::uint64_t>(v) <= kMax) return std::nullopt;
    return fmt::format("Value {} not in range 0 to {}", std::get<std::uint64_t>(v), kMax);
  };
  t.params.push_back(std::move(threads));

  t.finish = [](BatchArgs& a, const GivenParams& given) -> std::optional<ParamProblem> {
    if (given.contains("format") || a.out == "-") return std::nullopt;
    if (auto f = batch_format_for_path(a.out)) {
      a.options.format = *f;
      return std::nullopt;
    }
    return ParamProblem{"out", fmt::format("'{}': a results file name must end in .csv or .jsonl "
                                           "(or give {})",
                                           a.out, param_ref("format"))};
  };
  return t;
}

ParameterTable<SimulateArgs> make_simulate_parameters() {
  ParameterTable<SimulateArgs> t;
  t.params.push_back(field_param<SimulateArgs>(
      "analyses", ParamType::count, "Number of meta-analyses",
      [](auto& a) -> auto& { return a.options.analyses; }));
  t.params.push_back(field_param<SimulateArgs>(
      "k", ParamType::count, "Studies per meta-analysis",
      [](auto& a) -> auto& { return a.options.k; }));
  t.params.push_back(field_param<SimulateArgs>(
      "mu", ParamType::number, "True mean effect", [](auto& a) -> auto& { return a.options.mu; }));
  t.params.push_back(field_param<SimulateArgs>(
      "tau2", ParamType::number, "Between-study variance",
      [](auto& a) -> auto& { return a.options.tau2; }));
  t.params.push_back(field_param<SimulateArgs>(
      "vi_min", ParamType::number, "Smallest sampling variance",
      [](auto& a) -> auto& { return a.options.vi_min; }));
  t.params.push_back(field_param<SimulateArgs>(
      "vi_max", ParamType::number, "Largest sampling variance",
      [](auto& a) -> auto& { return a.options.vi_max; }));
  t.params.push_back(field_param<SimulateArgs>(
      "seed", ParamType::count, "Seed of the random number generator",
      [](auto& a) -> auto& { return a.options.seed; }));
  t.params.push_back(field_param<SimulateArgs>(
      "out", ParamType::text, "Output file, or - for standard output",
      [](auto& a) -> auto& { return a.out; }));
  t.finish = [](SimulateArgs& a, const GivenParams&) -> std::optional<ParamProblem> {
    if (auto problem = a.options.validate()) return ParamProblem{"", *problem};
    return std::nullopt;
  };
  return t;
}

// --mcid VALUE (every outcome without an MCID) or --mcid ID=VALUE.
std::optional<ReviewArgs::Mcid> mcid_item(std::string_view item) {
  const auto eq = item.find('=');
  const std::string_view id = eq == std::string_view::npos ? "" : item.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? item : item.substr(eq + 1);
  const CellValue v = parse_number(value);
  if (v.kind != CellKind::number || !(v.value > 0)) return std::nullopt;
  return ReviewArgs::Mcid{std::string(id), v.value, std::string(item)};
}

ParameterTable<ReviewArgs> make_review_parameters() {
  ParameterTable<ReviewArgs> t;
  Param<ReviewArgs> dir = field_param<ReviewArgs>(
      "dir", ParamType::text, "Review folder holding review.toml and its data files",
      [](auto& a) -> auto& { return a.dir; });
  dir.positional = true;
  dir.required = true;
  t.params.push_back(std::move(dir));

  Param<ReviewArgs> out = field_param<ReviewArgs>(
      "out", ParamType::text, "Where to write the HTML report (default: DIR/report.html)",
      [](auto& a) -> auto& { return a.out; });
  out.default_note = "DIR/report.html";
  t.params.push_back(std::move(out));

  Param<ReviewArgs> mcid;
  mcid.name = "mcid";
  mcid.type = ParamType::text_list;
  mcid.help =
      "Minimal clinically important difference: ID=VALUE for one outcome or published panel, or "
      "VALUE for every one without its own MCID (repeatable; default: the manifest's mcid keys)";
  mcid.default_note = "the manifest's mcid keys";
  mcid.greedy = false;  // `--mcid 1.5 DIR` must leave DIR alone
  mcid.check = [](const ParamValue& v) -> std::optional<std::string> {
    for (const std::string& item : std::get<std::vector<std::string>>(v)) {
      if (!mcid_item(item)) {
        return fmt::format("'{}': expected a positive number, or ID=NUMBER", item);
      }
    }
    return std::nullopt;
  };
  mcid.set = [](ReviewArgs& a, const ParamValue& v) {
    a.mcid.clear();
    for (const std::string& item : std::get<std::vector<std::string>>(v))
      a.mcid.push_back(*mcid_item(item));
  };
  t.params.push_back(std::move(mcid));

  Param<ReviewArgs> plots = field_param<ReviewArgs>(
      "plots", ParamType::text,
      "Also write every plot of the report into this folder (default: none)",
      [](auto& a) -> auto& { return a.plots; });
  plots.default_note = "none";
  t.params.push_back(std::move(plots));

  // The registered plot formats (plot_formats()).
  std::vector<PlotFormat> formats;
  for (const PlotFormatInfo& f : plot_formats())
    formats.push_back(f.format);
  t.params.push_back(choice_param<ReviewArgs>(
      "plot_format", "Format of the " + param_ref("plots") + " files: png (300 dpi), svg or pdf",
      formats, plot_format_name, [](auto& a) -> auto& { return a.plot_format; }));
  t.params.push_back(field_param<ReviewArgs>(
      "allow_outside", ParamType::flag,
      "Read data files the manifest names outside the review folder (default: refused, since a "
      "review folder may come from someone else)",
      [](auto& a) -> auto& { return a.allow_outside; }));
  t.params.back().get = nullptr;  // a flag: off unless given
  t.params.back().default_note = "off";
  Param<ReviewArgs> since = field_param<ReviewArgs>(
      "since", ParamType::text,
      "A living review: compare with the result file of an earlier run (the report.json written "
      "beside its report) and open the report with what changed (default: none)",
      [](auto& a) -> auto& { return a.since; });
  since.check_note = "FILE";
  since.default_note = "none";
  t.params.push_back(std::move(since));
  return t;
}

}  // namespace

const ParameterTable<std::string>& file_parameters() {
  static const ParameterTable<std::string> table = make_file_parameters();
  return table;
}

const ParameterTable<OutputArgs>& format_parameters() {
  static const ParameterTable<OutputArgs> table = make_format_parameters();
  return table;
}

const ParameterTable<BatchArgs>& batch_input_parameters() {
  static const ParameterTable<BatchArgs> table = make_batch_input_parameters();
  return table;
}

const ParameterTable<BatchArgs>& batch_output_parameters() {
  static const ParameterTable<BatchArgs> table = make_batch_output_parameters();
  return table;
}

const ParameterTable<SimulateArgs>& simulate_parameters() {
  static const ParameterTable<SimulateArgs> table = make_simulate_parameters();
  return table;
}

const ParameterTable<ReviewArgs>& review_parameters() {
  static const ParameterTable<ReviewArgs> table = make_review_parameters();
  return table;
}

}  // namespace evident::cli

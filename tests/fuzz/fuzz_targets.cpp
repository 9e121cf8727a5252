#include "fuzz_targets.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.hpp"
#include "evident/batch/batch.hpp"
#include "evident/io/csv.hpp"
#include "evident/io/error.hpp"
#include "evident/review/manifest.hpp"

namespace evident::fuzz {

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

std::string csv_quoted(std::string_view s) {
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + '"';
}

void batch_invariants(const std::string& text, const std::string& by);

}  // namespace

void csv_target(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  StudyTable table;
  try {
    table = read_csv(in, "fuzz.csv");
  } catch (const InputError& e) {
    if (e.problems().empty()) fail("InputError without problems");
    return;
  }
  // Round trip: every field quoted, so any content survives.
  std::string again;
  for (std::size_t c = 0; c < table.columns(); ++c) {
    if (c) again += ',';
    again += csv_quoted(table.column_names()[c]);
  }
  again += "\r\n";
  for (std::size_t r = 0; r < table.rows(); ++r) {
    for (std::size_t c = 0; c < table.columns(); ++c) {
      if (c) again += ',';
      again += csv_quoted(table.cell(r, c));
    }
    again += "\r\n";
  }
  std::istringstream in2(again);
  StudyTable second;
  try {
    second = read_csv(in2, "again.csv");
  } catch (const InputError&) {
    fail("a table evident read could not be read back after writing it");
  }
  if (second.columns() != table.columns() || second.column_names() != table.column_names()) {
    fail("round trip changed the header");
  }
  if (second.rows() != table.rows()) fail("round trip changed the number of rows");
  for (std::size_t r = 0; r < table.rows(); ++r) {
    for (std::size_t c = 0; c < table.columns(); ++c) {
      if (second.cell(r, c) != table.cell(r, c)) fail("round trip changed a cell");
    }
  }
  if (table.columns() > 0) batch_invariants(text, table.column_names().front());
}

namespace {

// The batch engine on the same bytes, analyses keyed by the first column: a result or an
// InputError, one JSON line per analysis, and the same bytes out whatever the threads and chunks.
void batch_invariants(const std::string& text, const std::string& by) {
  auto run = [&](unsigned threads, std::size_t chunk_rows, std::string& out) {
    BatchOptions options;
    options.by = by;
    options.format = BatchFormat::jsonl;
    options.threads = threads;
    options.chunk_rows = chunk_rows;
    std::istringstream in(text);
    std::ostringstream result;
    try {
      const BatchSummary summary = run_batch(in, "fuzz.csv", result, options);
      out = result.str();
      std::size_t lines = 0;
      for (char ch : out)
        lines += ch == '\n' ? 1 : 0;
      if (lines != summary.analyses) fail("batch wrote a number of lines other than its analyses");
      return true;
    } catch (const InputError& e) {
      if (e.problems().empty()) fail("batch InputError without problems");
      return false;
    }
  };
  std::string one, two;
  const bool ok_one = run(1, std::size_t{1} << 16, one);
  const bool ok_two = run(2, 3, two);
  if (ok_one != ok_two) fail("batch accepted the file with one thread setting only");
  if (ok_one && one != two) fail("batch results depend on threads or chunk size");
}

}  // namespace

void fit_target(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<const char*, 28> kMeasures{
      "",     "MD",  "SMD",  "ROM",  "OR",  "RR",  "RD",   "PR",  "PLO",  "PAS",
      "PFT",  "COR", "ZCOR", "PETO", "IRR", "IRD", "IRSD", "IR",  "IRLN", "IRS",
      "IRFT", "MC",  "SMCC", "SMCR", "OR",  "RR",  "SMD",  "ZCOR"};
  static constexpr std::array<const char*, 11> kMethods{"FE",   "DL", "HE", "HS", "SJ",  "ML",
                                                        "REML", "EB", "PM", "MH", "PETO"};
  static constexpr std::array<const char*, 3> kFormats{"json", "text", "csv"};
  if (size < 4) return;
  const char* measure = kMeasures[data[0] % kMeasures.size()];
  const char* method = kMethods[data[1] % kMethods.size()];
  const char* test = (data[2] & 1) ? "knha" : "z";
  const char* format = kFormats[data[3] % kFormats.size()];
  std::vector<std::string> args{"fit", "-", "--method", method, "--test", test, "--format", format};
  if (*measure != '\0') args.insert(args.end(), {"--measure", measure});

  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 4), size - 4));
  std::ostringstream out, err;
  const int code = cli::run(args, in, out, err);
  if (code == cli::kExitInternal) {
    std::fprintf(stderr, "%s", err.str().c_str());
    fail("internal error (exit code 1) on user input");
  }
  if (code != cli::kExitOk && code != cli::kExitBadInput) fail("unknown exit code");
  if (code == cli::kExitBadInput && err.str().empty()) fail("exit code 2 without a message");
  if (code != cli::kExitOk || std::string_view(format) != "json") return;

  const auto j = nlohmann::json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail("JSON output does not parse");
  if (!j.contains("estimate")) fail("JSON output without an estimate key");
  if (j["estimate"].is_null()) {
    const bool explained =
        (j.contains("diagnostics") && !j["diagnostics"].empty()) ||
        (j.contains("convergence") && j["convergence"].value("termination", "") == "not_estimable");
    if (!explained) fail("a null estimate without a diagnostic saying why");
  }
}

void manifest_target(const std::uint8_t* data, std::size_t size) {
  // One folder per process, made once: the manifest is rewritten for every input.
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() /
                              ("evident-manifest-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::ofstream(d / "d.csv") << "study,ai,n1i,ci,n2i,yi,vi\nA,1,10,2,10,0.1,0.02\n";
    return d;
  }();
  {
    std::ofstream out(dir / "review.toml", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)read_manifest(dir.string());
  } catch (const InputError& e) {
    if (e.problems().empty()) fail("InputError without problems");
    for (const InputProblem& p : e.problems()) {
      if (p.message.empty()) fail("a manifest problem without a message");
    }
  }
}

}  // namespace evident::fuzz

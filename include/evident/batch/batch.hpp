#pragma once
/// \file
/// Many meta-analyses in one run: a long-format CSV file (one row per study, an analysis id
/// column) in, one result row per analysis out.
///
/// The input is streamed in chunks of whole analyses, so memory stays bounded by the chunk and the
/// largest single analysis, not by the file. Each chunk is fitted in parallel; results are written
/// in input order, and every number is the one `fit` gives for that analysis alone, whatever the
/// number of threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "evident/methods/summary.hpp"

namespace evident {

/// Format of the result rows.
enum class BatchFormat {
  csv,    ///< a header row, then one row per analysis; missing numbers are NA (as R writes them)
  jsonl,  ///< one JSON object per line; missing numbers are null
};

/// The format a result file's name implies: `.csv` or `.jsonl`; nullopt for anything else.
[[nodiscard]] std::optional<BatchFormat> batch_format_for_path(std::string_view path) noexcept;

struct BatchOptions {
  /// How each analysis is computed and pooled, exactly as for `fit`.
  AnalysisSpec spec;
  /// The column holding the analysis id. Rows of one analysis must be contiguous.
  std::string by;
  BatchFormat format = BatchFormat::csv;
  /// Worker threads; 0 means one per core. The results do not depend on it.
  unsigned threads = 0;
  /// About this many input rows are read, fitted and written at a time (a chunk always holds
  /// whole analyses). Bounds memory; the results do not depend on it.
  std::size_t chunk_rows = std::size_t{1} << 16;
  /// Names the results in the message when writing them fails (a path, or "standard output").
  std::string output_name = "the results";
};

/// Where a run is, reported after each chunk is written.
struct BatchProgress {
  std::uint64_t analyses = 0;     ///< analyses written so far
  std::uint64_t bytes_read = 0;   ///< input bytes consumed so far
  std::uint64_t bytes_total = 0;  ///< size of the input; 0 when unknown (standard input)
};
using BatchProgressCallback = std::function<void(const BatchProgress&)>;

struct BatchSummary {
  std::uint64_t analyses = 0;    ///< result rows written: one per analysis
  std::uint64_t failed = 0;      ///< of these, rows with an error instead of numbers
  std::uint64_t bytes_read = 0;  ///< input bytes read, header included
};

/// Runs every analysis of `in` and writes one row per analysis to `out`.
///
/// An analysis is a run of contiguous rows with the same value in column `options.by`. Bad values,
/// too few usable rows, a malformed row or an id that reappears after other ids (rows of one
/// analysis must be contiguous; the reappearing run gets its own row) end only that analysis: its
/// row carries the error (`file:line:column: problem`) and the others go on, so the number of
/// result rows always equals the number of analyses.
///
/// Throws InputError for what makes the whole file unusable: an empty file, a bad header, no column
/// `by`, columns the measure needs but the header lacks, an unterminated quote, options that do not
/// fit together. Problems of the header are found before anything is written; an unterminated
/// quote further on ends the run where it is found (run_batch_file then leaves no results file).
///
/// Row columns: id, k, estimate, se, zval (tval with the Knapp-Hartung test), pval, ci_lb, ci_ub,
/// pi_lb, pi_ub, tau2, tau2_se, I2, H2, Q, Q_df, Q_p, iterations, termination, diagnostics (codes
/// separated by ';'), error. Numbers are written with the fewest digits that read back to the same
/// double. The Q-profile intervals of tau2, I2 and H2 are not computed (they cost more than the
/// fit).
BatchSummary run_batch(std::istream& in, const std::string& source, std::ostream& out,
                       const BatchOptions& options, const BatchProgressCallback& progress = {});

/// Reads the file `input` ("-" for `in`) and writes the results to the file `output` ("-" for
/// `out`): first to a temporary file in the same directory, renamed to `output` only once every
/// row is written, so a run that fails or is interrupted never leaves a partial file under the
/// final name. A file that ends before the size it had when the run started (truncated while
/// read), or grows meanwhile, is an InputError and leaves no results file; a failed write is an
/// InputError naming the output and the system's reason.
BatchSummary run_batch_file(const std::string& input, std::istream& in, const std::string& output,
                            std::ostream& out, const BatchOptions& options,
                            const BatchProgressCallback& progress = {});

}  // namespace evident

#pragma once
// What the fuzzers exercise, as plain functions: the libFuzzer entry points call them, and the
// regression test replays every saved input through them in the normal suite. Each returns
// normally for any input; a broken invariant aborts (which the fuzzer reports as a crash).

#include <cstddef>
#include <cstdint>

namespace evident::fuzz {

/// Reads the bytes as a CSV file. Invariants: it either throws InputError or returns a table
/// whose rows all have as many cells as the header, and writing the table back as RFC 4180 CSV
/// and reading it again gives the same table.
void csv_target(const std::uint8_t* data, std::size_t size);

/// Runs `evident fit - ...` with the bytes as the CSV file; the first bytes choose the measure,
/// method, test and output format. Invariants: the exit code is 0 or 2, never 1 (an internal
/// error); on success the JSON output parses, and a pooled estimate that is not a number comes
/// with a diagnostic or a termination saying why.
void fit_target(const std::uint8_t* data, std::size_t size);

/// Reads the bytes as a review manifest (review.toml, in a folder with one small data file
/// `d.csv`). Invariants: read_manifest returns or throws InputError with at least one problem
/// (file, line, column and message), never another exception.
void manifest_target(const std::uint8_t* data, std::size_t size);

}  // namespace evident::fuzz

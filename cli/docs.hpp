#pragma once
// The parts of docs/cli.md and docs/review.md that list options and manifest keys, generated from
// the parameter tables, so the documentation says what `evident --help` says. Each part sits in
// its file between the markers begin_marker(name) and end_marker(name); tests/cli/docs_test.cpp
// fails when a file differs and rewrites it with EVIDENT_UPDATE_DOCS=1.

#include <string>
#include <vector>

namespace evident::cli {

struct DocBlock {
  std::string file;  ///< under docs/: "cli.md" or "review.md"
  std::string name;
  std::string text;  ///< a Markdown table, ending in a line break
};

/// Every generated part, in the order the files show them.
[[nodiscard]] std::vector<DocBlock> generated_docs();

[[nodiscard]] std::string begin_marker(const std::string& name);
[[nodiscard]] std::string end_marker(const std::string& name);

/// `text` with each block's part between its markers replaced by the block's text; the names of
/// blocks whose markers `text` lacks are added to `missing`.
[[nodiscard]] std::string with_generated(std::string text, const std::vector<DocBlock>& blocks,
                                         std::vector<std::string>& missing);

}  // namespace evident::cli

#include "evident/csv.hpp"

#include <fmt/format.h>

#include <deque>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "io/csv_scan.hpp"

namespace evident {

namespace {

// One record as parsed: its fields, and the line where it starts. A field is a view of the input
// text, or of `unquoted` when a quoted field had to be rewritten (doubled quotes, CRLF breaks).
struct Record {
  std::vector<std::string_view> fields;
  std::deque<std::string> unquoted;  // a deque: growing it keeps the views of earlier fields
  std::size_t line = 0;              // line where the record starts
  bool blank = false;                // an empty line: one empty unquoted field
};

// A hand-written RFC 4180 state machine: the format is small, and doing it here keeps exact
// line and column positions for every error (which general CSV libraries do not expose).
class CsvParser {
 public:
  CsvParser(std::string_view text, std::string source, ProblemList& problems)
      : text_(text), source_(std::move(source)), problems_(problems) {
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (text_.substr(0, kBom.size()) == kBom) text_.remove_prefix(kBom.size());
  }

  // Parses the next record into `rec`; false at end of input.
  bool next(Record& rec) {
    if (pos_ >= text_.size()) return false;
    rec.fields.clear();
    rec.unquoted.clear();
    rec.line = line_;
    bool any_quoted = false;
    for (;;) {
      field_ = rec.fields.size() + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        any_quoted = true;
        rec.fields.push_back(read_quoted(rec.unquoted));
      } else {
        rec.fields.push_back(read_plain());
      }
      if (pos_ >= text_.size()) break;
      char ch = text_[pos_];
      if (ch == ',') {
        ++pos_;
        continue;
      }
      // Otherwise a line break ends the record (read_* stop only at ',' or a line break).
      consume_line_break();
      break;
    }
    rec.blank = !any_quoted && rec.fields.size() == 1 && rec.fields[0].empty();
    return true;
  }

 private:
  void consume_line_break() {
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  std::string_view read_plain() {
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      pos_ = detail::skip_plain(text_.data(), pos_, text_.size());
      if (pos_ >= text_.size()) break;
      char ch = text_[pos_];
      if (ch == ',' || ch == '\n' || ch == '\r') break;
      if (ch == '"') {
        problems_.add({source_, line_, field_},
                      "a quote inside an unquoted field; quote the whole field and double the "
                      "quotes inside it (\"a \"\"b\"\" c\")");
      }
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  std::string_view read_quoted(std::deque<std::string>& unquoted) {
    // Most quoted fields are their text between the quotes: no doubled quote and no CR inside.
    // Those are views of the input; the others are rewritten into `unquoted`.
    std::size_t end = pos_ + 1, lines = 0;
    for (; end < text_.size(); ++end) {
      const char ch = text_[end];
      if (ch == '"' || ch == '\r') break;
      if (ch == '\n') ++lines;
    }
    if (end < text_.size() && text_[end] == '"' &&
        (end + 1 >= text_.size() || text_[end + 1] != '"')) {
      const std::string_view field = text_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      line_ += lines;
      after_closing_quote();
      return field;
    }
    std::string& field = unquoted.emplace_back();
    const std::size_t open_line = line_;
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= text_.size()) {
        problems_.add({source_, open_line, field_},
                      "unterminated quoted field: the quote opened here is never closed");
        return field;
      }
      char ch = text_[pos_];
      if (ch == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;  // closing quote
        break;
      }
      if (ch == '\n' || (ch == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) {
        field += '\n';
        ++pos_;
        ++line_;
        continue;
      }
      if (ch == '\r') {  // CRLF inside a quoted field is one line break
        ++pos_;
        continue;
      }
      field += ch;
      ++pos_;
    }
    after_closing_quote();
    return field;
  }

  void after_closing_quote() {
    // Spaces may follow the closing quote; anything else is an error.
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
    if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
      problems_.add({source_, line_, field_}, "text after the closing quote of a quoted field");
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
             text_[pos_] != '\r') {
        ++pos_;
      }
    }
  }

  std::string_view text_;
  std::string source_;

 public:
  // Characters of the input read so far and in all: how far through the input the parser is.
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] std::size_t size() const noexcept { return text_.size(); }

 private:
  ProblemList& problems_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t field_ = 1;  // 1-based number of the field being read: the "column" in messages
};

}  // namespace

StudyTable read_csv(std::istream& in, const std::string& source) {
  // In large blocks: a file of millions of rows is read at the speed of the disk.
  std::string text;
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  // A file's size is known: one allocation instead of copies as the text grows.
  const std::streampos start = in.tellg();
  if (start != std::streampos(-1)) {
    if (in.seekg(0, std::ios::end)) {
      const std::streampos end = in.tellg();
      if (end > start) text.reserve(static_cast<std::size_t>(end - start) + kBlock);
    }
    in.clear();
    in.seekg(start);
  }
  in.clear();
  for (;;) {
    const std::size_t size = text.size();
    text.resize(size + kBlock);
    in.read(text.data() + size, static_cast<std::streamsize>(kBlock));
    text.resize(size + static_cast<std::size_t>(in.gcount()));
    if (!in) break;
  }
  ProblemList problems;
  CsvParser parser(text, source, problems);

  Record rec;
  bool have_header = false;
  while (parser.next(rec)) {
    if (!rec.blank) {
      have_header = true;
      break;
    }
  }
  if (!have_header) {
    problems.throw_if_any();
    throw InputError({source, 0, 0}, "the file is empty: expected a header row naming the columns");
  }

  std::vector<std::string> names;
  names.reserve(rec.fields.size());
  std::unordered_set<std::string> seen;
  for (std::size_t c = 0; c < rec.fields.size(); ++c) {
    std::string name(trim_spaces(rec.fields[c]));
    if (name.empty()) {
      problems.add({source, rec.line, c + 1}, "empty column name in the header row");
    } else if (!seen.insert(name).second) {
      problems.add({source, rec.line, c + 1}, fmt::format("duplicate column name '{}'", name));
    }
    names.push_back(std::move(name));
  }
  const std::size_t header_line = rec.line;
  StudyTable table(source, names);

  // After the first rows, room for all of them as estimated from the share of the input they
  // took: a table of millions of rows then grows without copying itself at every doubling.
  constexpr std::size_t kSampleRows = 1024;
  const std::size_t sample_start = parser.position();
  bool reserved = false;
  while (parser.next(rec)) {
    if (!reserved && table.rows() == kSampleRows) {
      reserved = true;
      const double share = static_cast<double>(parser.position() - sample_start) /
                           static_cast<double>(parser.size() - sample_start);
      table.reserve(static_cast<std::size_t>(1.02 * kSampleRows / share) + kSampleRows);
    }
    if (rec.blank) continue;
    if (rec.fields.size() != names.size()) {
      if (rec.fields.size() < names.size()) {
        problems.add(
            {source, rec.line, 0},
            fmt::format("too few fields: {} of the {} the header (line {}) names; the "
                        "first missing one is '{}'",
                        rec.fields.size(), names.size(), header_line, names[rec.fields.size()]));
      } else {
        problems.add({source, rec.line, names.size() + 1},
                     fmt::format("too many fields: {} where the header (line {}) names {}",
                                 rec.fields.size(), header_line, names.size()));
      }
      continue;
    }
    table.add_row(rec.fields, rec.line);
  }
  problems.throw_if_any();
  return table;
}

StudyTable read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "cannot open the file for reading");
  return read_csv(in, path);
}

}  // namespace evident

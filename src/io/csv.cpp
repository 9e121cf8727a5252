#include "evident/csv.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "io/csv_scan.hpp"

namespace evident {

namespace {

// One record as parsed: its fields, and the line and column where each field starts.
struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;  // line where the record starts
  bool blank = false;    // an empty line: one empty unquoted field
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
    rec.line = line_;
    bool any_quoted = false;
    for (;;) {
      field_ = rec.fields.size() + 1;
      std::string field;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        any_quoted = true;
        read_quoted(field);
      } else {
        read_plain(field);
      }
      rec.fields.push_back(std::move(field));
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

  void read_plain(std::string& field) {
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
    field.assign(text_.substr(start, pos_ - start));
  }

  void read_quoted(std::string& field) {
    const std::size_t open_line = line_;
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= text_.size()) {
        problems_.add({source_, open_line, field_},
                      "unterminated quoted field: the quote opened here is never closed");
        return;
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
  ProblemList& problems_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t field_ = 1;  // 1-based number of the field being read: the "column" in messages
};

std::string trim(std::string s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

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
    std::string name = trim(rec.fields[c]);
    if (name.empty()) {
      problems.add({source, rec.line, c + 1}, "empty column name in the header row");
    } else if (!seen.insert(name).second) {
      problems.add({source, rec.line, c + 1}, fmt::format("duplicate column name '{}'", name));
    }
    names.push_back(std::move(name));
  }
  const std::size_t header_line = rec.line;
  StudyTable table(source, names);

  while (parser.next(rec)) {
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
    table.add_row(std::move(rec.fields), rec.line);
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

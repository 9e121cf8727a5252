#pragma once
// RFC 4180 records read from a stream in large blocks, one at a time, with bounded memory: the
// buffer holds a block and the record being read, never the whole file. Fields are views into the
// buffer (or into a scratch string for quoted fields with doubled quotes), so reading a cell costs
// no allocation. The same rules as io/csv.cpp: LF or CRLF, a UTF-8 byte order mark skipped, blank
// lines ignored, quoted fields may hold commas, quotes and line breaks.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace evident::detail {

class CsvStream {
 public:
  CsvStream(std::istream& in, std::string source);

  /// Reads the next non-blank record; false at the end of the input. Its fields stay valid until
  /// the next call. Throws InputError for an unterminated quote (the rest of the file cannot be
  /// split into records).
  bool next();

  [[nodiscard]] const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  /// 1-based line where the record starts.
  [[nodiscard]] std::size_t line() const noexcept { return record_line_; }
  /// A problem inside the record that leaves its fields readable (a quote inside an unquoted
  /// field, text after a closing quote), with its 1-based field number; empty if none.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  [[nodiscard]] std::size_t problem_field() const noexcept { return problem_field_; }
  /// Bytes of the input consumed so far.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return consumed_ + pos_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }

 private:
  // Parses one record from pos_; false if the buffer ends before the record does and more input
  // may follow.
  bool parse_record();
  // Keeps the bytes from `keep` on, and appends the next block of the input.
  void refill(std::size_t keep);
  void note_problem(std::size_t field, const char* message);

  struct Span {
    bool scratch;  // in scratch_, else in buf_
    std::size_t offset, size;
  };

  std::istream& in_;
  std::string source_;
  std::vector<char> buf_;
  std::size_t end_ = 0;  // valid bytes in buf_
  std::size_t pos_ = 0;
  std::uint64_t consumed_ = 0;  // input bytes before buf_[0]
  bool eof_ = false;
  bool first_block_ = true;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
  std::vector<Span> spans_;
  std::vector<std::string_view> fields_;
  std::string scratch_;
  std::string problem_;
  std::size_t problem_field_ = 0;
  bool any_quoted_ = false;
};

}  // namespace evident::detail

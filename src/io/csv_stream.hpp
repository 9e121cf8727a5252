#pragma once
// RFC 4180 records read from a stream in large blocks, one at a time, with bounded memory: the
// buffer holds a block and the record being read, never the whole file. Fields are views into the
// buffer (or into a scratch string for quoted fields with doubled quotes), so reading a cell costs
// no allocation. The one CSV reader of evident: read_csv (io/csv.cpp) builds tables with it and
// the batch readers stream analyses with it. LF or CRLF, a UTF-8 byte order mark skipped, blank
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
  /// Reads the records of `block` alone, numbering lines from `first_line`. With `final`, the
  /// block ends the input; otherwise next() returns false at a record the block ends inside, and
  /// position() says where that record starts. Fields point into `block` (or into the stream's
  /// scratch space for quoted fields with doubled quotes or line breaks).
  CsvStream(std::string_view block, bool final, std::string source, std::size_t first_line);

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
  /// The line the problem is on (later than line() when a quoted field before it spans lines).
  [[nodiscard]] std::size_t problem_line() const noexcept { return problem_line_; }
  /// Bytes of the input consumed so far.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return consumed_ + pos_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Offset of the next unread byte in the buffer (block mode: in the block).
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  /// Line where the next unread byte is.
  [[nodiscard]] std::size_t next_line() const noexcept { return line_; }
  /// True when the input ended (stream mode: no more bytes to read).
  [[nodiscard]] bool at_end() const noexcept { return eof_; }
  /// The bytes read from the stream and not yet parsed, handed over to a reader that goes on from
  /// here (stream mode; the stream is left where the buffer ended).
  [[nodiscard]] std::string_view unread() const noexcept { return {data_ + pos_, end_ - pos_}; }

 private:
  // Parses one record from pos_; false if the buffer ends before the record does and more input
  // may follow.
  bool parse_record();
  // Keeps the bytes from `keep` on, and appends the next block of the input.
  void refill(std::size_t keep);
  void note_problem(std::size_t field, std::size_t line, const char* message);

  struct Span {
    bool scratch;  // in scratch_, else in buf_
    std::size_t offset, size;
  };

  std::istream* in_;  // null in block mode
  std::string source_;
  std::vector<char> buf_;  // stream mode: the buffer data_ points to
  const char* data_ = nullptr;
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
  std::size_t problem_line_ = 0;
  bool any_quoted_ = false;
};

}  // namespace evident::detail

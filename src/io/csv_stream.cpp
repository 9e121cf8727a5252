#include "io/csv_stream.hpp"

#include <cstring>
#include <utility>

#include "evident/io/error.hpp"
#include "io/csv_scan.hpp"

namespace evident::detail {

namespace {
// Large enough that reads are few, small enough to stay in cache-friendly territory; a record
// longer than this grows the buffer.
constexpr std::size_t kBlock = std::size_t{1} << 20;

}  // namespace

CsvStream::CsvStream(std::istream& in, std::string source)
    : in_(&in), source_(std::move(source)), buf_(kBlock), data_(buf_.data()) {}

CsvStream::CsvStream(std::string_view block, bool final, std::string source, std::size_t first_line)
    : in_(nullptr),
      source_(std::move(source)),
      data_(block.data()),
      end_(block.size()),
      eof_(final),
      first_block_(false),
      line_(first_line) {}

void CsvStream::refill(std::size_t keep) {
  const std::size_t rest = end_ - keep;
  if (keep > 0 && rest > 0) std::memmove(buf_.data(), buf_.data() + keep, rest);
  consumed_ += keep;
  end_ = rest;
  pos_ = 0;
  if (end_ == buf_.size()) buf_.resize(2 * buf_.size());
  data_ = buf_.data();
  in_->read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
  const auto got = static_cast<std::size_t>(in_->gcount());
  end_ += got;
  if (got == 0 || !*in_) eof_ = true;
  if (first_block_) {
    first_block_ = false;
    const std::string_view start(buf_.data(), end_);
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (start.substr(0, kBom.size()) == kBom) pos_ = kBom.size();
    // A spreadsheet's "Unicode text" is UTF-16 (or, rarely, UTF-32): every other byte of its
    // ASCII is NUL, and read as UTF-8 its fields come apart on the wrong lines. Said plainly
    // rather than reported as missing fields.
    const bool utf16_bom = start.substr(0, 2) == "\xFF\xFE" || start.substr(0, 2) == "\xFE\xFF";
    const std::string_view head = start.substr(0, 4096);
    if (utf16_bom || head.find('\0') != std::string_view::npos) {
      throw InputError({source_, 1, 0},
                       utf16_bom ? "the file is UTF-16 text, not UTF-8: save it as CSV UTF-8 "
                                   "(comma delimited) and read that file"
                                 : "the file holds NUL bytes: it is not a text CSV file (UTF-16 "
                                   "or UTF-32 text, or a binary file such as .xlsx); save it as "
                                   "CSV UTF-8 (comma delimited)");
    }
  }
}

void CsvStream::note_problem(std::size_t field, std::size_t line, const char* message) {
  if (!problem_.empty()) return;  // the first problem of a record is enough to reject it
  problem_ = message;
  problem_field_ = field;
  problem_line_ = line;
}

bool CsvStream::next() {
  for (;;) {
    if (pos_ >= end_) {
      if (eof_ || in_ == nullptr) return false;
      refill(pos_);
      continue;
    }
    const std::size_t start_line = line_;
    if (!parse_record()) {
      if (in_ == nullptr) return false;  // block mode: the record goes on after the block
      refill(pos_);
      continue;
    }
    if (fields_.size() == 1 && fields_[0].empty() && !any_quoted_) continue;  // a blank line
    record_line_ = start_line;
    return true;
  }
}

// A restartable state machine: when the buffer ends inside a record and more input may follow,
// nothing is committed and the record is parsed again after a refill.
bool CsvStream::parse_record() {
  spans_.clear();
  scratch_.clear();
  problem_.clear();
  any_quoted_ = false;
  const char* b = data_;
  std::size_t p = pos_;
  std::size_t line = line_;
  for (;;) {
    const std::size_t field_no = spans_.size() + 1;
    if (p < end_ && b[p] == '"') {
      any_quoted_ = true;
      const std::size_t open_line = line;
      ++p;
      const std::size_t start = p;
      const std::size_t scratch_start = scratch_.size();
      bool copied = false;  // the field is being unescaped into scratch_
      for (;;) {
        if (p >= end_) {
          if (!eof_) return false;
          throw InputError({source_, open_line, field_no},
                           "unterminated quoted field: the quote opened here is never closed");
        }
        const char ch = b[p];
        if (ch == '"') {
          if (p + 1 >= end_ && !eof_) return false;  // a doubled quote may follow
          if (p + 1 < end_ && b[p + 1] == '"') {
            if (!copied) scratch_.append(b + start, p - start);
            copied = true;
            scratch_ += '"';
            p += 2;
            continue;
          }
          break;  // the closing quote
        }
        if (ch == '\r') {
          if (p + 1 >= end_ && !eof_) return false;
          if (!copied) scratch_.append(b + start, p - start);
          copied = true;
          ++p;
          if (p < end_ && b[p] == '\n') continue;  // CRLF is one line break, read at the LF
          scratch_ += '\n';
          ++line;
          continue;
        }
        if (ch == '\n') ++line;
        if (copied) scratch_ += ch;
        ++p;
      }
      if (copied) {
        spans_.push_back({true, scratch_start, scratch_.size() - scratch_start});
      } else {
        spans_.push_back({false, start, p - start});
      }
      ++p;  // closing quote
      while (p < end_ && (b[p] == ' ' || b[p] == '\t'))
        ++p;
      if (p < end_ && b[p] != ',' && b[p] != '\n' && b[p] != '\r') {
        note_problem(field_no, line, "text after the closing quote of a quoted field");
        while (p < end_ && b[p] != ',' && b[p] != '\n' && b[p] != '\r')
          ++p;
      }
    } else {
      const std::size_t start = p;
      while (p < end_) {
        p = skip_plain(b, p, end_);
        if (p >= end_) break;
        const char ch = b[p];
        if (!kCsvSpecial[static_cast<unsigned char>(ch)]) {
          ++p;
          continue;
        }
        if (ch == ',' || ch == '\n' || ch == '\r') break;
        if (ch == '"') {
          note_problem(field_no, line,
                       "a quote inside an unquoted field; quote the whole field and double the "
                       "quotes inside it (\"a \"\"b\"\" c\")");
        }
        ++p;
      }
      spans_.push_back({false, start, p - start});
    }
    if (p >= end_) {
      if (!eof_) return false;
      break;
    }
    if (b[p] == ',') {
      ++p;
      continue;
    }
    if (b[p] == '\r') {
      if (p + 1 >= end_ && !eof_) return false;
      ++p;
    }
    if (p < end_ && b[p] == '\n') ++p;
    ++line;
    break;
  }
  pos_ = p;
  line_ = line;
  fields_.clear();
  for (const Span& s : spans_) {
    fields_.emplace_back(s.scratch ? scratch_.data() + s.offset : b + s.offset, s.size);
  }
  return true;
}

}  // namespace evident::detail

#pragma once
// The batch reader for files of effect sizes with their variances (yi and vi), the shape of every
// large batch: the bytes are read in chunks, each chunk is cut into pieces at line breaks, and
// the pieces are split into records and their numbers read on all cores at once, each piece into
// runs of records with the same id. One thread then walks the runs in order to form the analyses,
// so what an analysis holds, its first line and its problems do not depend on the threads or the
// chunk size. Pieces are cut at line breaks only
// where no quote can make a line break part of a field (a chunk without any '"'); a chunk with
// quotes is read record by record on one thread.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/error.hpp"

namespace evident::detail {

/// Ids of the analyses seen so far, as 64-bit hashes with the line where each first appeared: an
/// open-addressing table of 16 bytes per analysis, so a run of many millions stays small. Two ids
/// with the same hash (about one chance in 10^7 for 10^6 analyses) would be reported as a
/// reappearing id.
class IdIndex {
 public:
  /// The first line of `id` if seen before; else records it and returns 0.
  std::size_t seen_or_add(std::string_view id, std::size_t line) {
    return seen_or_add(hash(id), line);
  }
  std::size_t seen_or_add(std::uint64_t hash, std::size_t line);
  [[nodiscard]] static std::uint64_t hash(std::string_view id) noexcept;
  /// Makes room for `more` ids, so that the next that many additions do not move the table.
  void reserve(std::size_t more);
  /// Asks for the slot of `hash` to be brought into the cache: a run of look-ups of ids spread
  /// over a large table waits for memory once, not once per id.
  void prefetch(std::uint64_t hash) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::size_t line = 0;
  };
  void grow();
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

/// The message for rows of analysis `id` that reappear after other analyses (first seen on
/// line `first`).
std::string reappearing_id_message(std::string_view id, std::size_t first, std::string_view by);

/// Bytes read from the input: a buffer that grows without first clearing what it adds (the input
/// overwrites it at once; clearing megabytes per chunk is measurable).
class ByteBuffer {
 public:
  [[nodiscard]] const char* data() const noexcept { return data_.get(); }
  [[nodiscard]] char* data() noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  /// New bytes are left as they are; shrinking never moves the bytes.
  void resize(std::size_t n) {
    reserve(n);
    size_ = n;
  }
  void assign(const char* from, std::size_t n) {
    size_ = 0;
    reserve(n);
    if (n > 0) std::memcpy(data_.get(), from, n);
    size_ = n;
  }
  void swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    const std::size_t capacity = std::max(n, 2 * capacity_);
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

/// Where the columns are, from the header.
struct FastLayout {
  std::string source;
  std::vector<std::string> names;  // as in the header
  std::string by_name;             // the --by column's name
  std::size_t header_line = 1;
  std::size_t width = 0;  // fields a record must have
  std::size_t by = 0, yi = 0, vi = 0;
};

/// A record with a problem, kept to word its messages once its line in the file is known.
struct OddRow {
  std::size_t line = 0;  // counted from the chunk's first line
  std::size_t fields = 0;
  std::string problem;  // from the CSV reader (a stray quote), with its field
  std::size_t problem_field = 0;
  std::size_t problem_line = 0;  // counted as `line`: later when a quoted field spans lines
  std::string y_text, v_text;
};

/// Consecutive records of a piece with the same id: the part of one analysis that lies in the
/// piece. Forming analyses from runs rather than records leaves the one thread that does it
/// little to do.
struct Run {
  std::string_view id;     // into the chunk's bytes or its piece's `ids`
  std::uint64_t hash = 0;  // IdIndex::hash(id): computed by the piece's thread, not the one
  bool no_id = false;      // its first records are too short to hold an id: they go with the
                           // analysis before them
  std::size_t line = 0;    // of its first record, counted from the chunk's first line
  std::size_t rows = 0;
  std::size_t excluded = 0;  // records with a missing value, left out as `fit` does
  std::size_t value_begin = 0, odd_begin = 0;  // its studies in Piece::y/v, its problems in odd
};

struct Piece {
  std::string_view bytes;
  std::vector<Run> runs;
  std::vector<double> y, v;  // the usable studies of its runs, in order
  std::vector<OddRow> odd;
  std::deque<std::string> ids;  // ids that are not a plain view of the bytes (unescaped quotes)
  std::size_t lines = 0;        // line breaks in the piece

  void clear() {
    runs.clear();
    y.clear();
    v.clear();
    odd.clear();
    ids.clear();
    lines = 0;
  }
};

/// One analysis, formed from the rows in order.
struct FastGroup {
  std::string id;
  std::uint64_t hash = 0;  // IdIndex::hash(id)
  std::size_t line = 0;    // first line
  std::size_t rows = 0;    // input rows
  std::size_t excluded = 0;
  std::size_t begin = 0, end = 0;  // its usable studies in FastChunk::y/v (or big_y/v)
  bool carried = false;            // began in an earlier chunk: studies in big_y/v
  ProblemList record_problems;     // records that cannot be read: the analysis fails with these
  ProblemList value_problems;      // else values that cannot be used
};

struct FastChunk {
  ByteBuffer bytes;            // whole records
  std::size_t first_line = 0;  // known once the chunks before it are formed into analyses
  bool final = false;          // the input ends with this chunk
  // A problem that ends the run (an unterminated quote), found while reading the chunk, with
  // lines counted from the chunk's first line: raised by group(), once that line is known.
  std::vector<InputProblem> read_error;
  std::vector<Piece> pieces;
  std::size_t n_pieces = 0;
  bool parallel = false;  // pieces may be read at the same time

  std::vector<FastGroup> groups;  // [0, n_groups): objects are reused
  std::size_t n_groups = 0;
  std::vector<double> y, v;
  std::vector<double> big_y, big_v;  // the studies of a carried analysis that ends here

  std::vector<std::string> out;       // formatted rows, per block of analyses
  std::vector<std::uint32_t> failed;  // error rows per block
};

class FastReader {
 public:
  /// Goes on after the header: `unread` holds the bytes already taken from `in` after it (line
  /// `next_line` on); `at_end` when `in` has nothing more.
  FastReader(std::istream& in, FastLayout layout, std::string_view unread, std::size_t next_line,
             bool at_end, std::uint64_t bytes_before, std::size_t chunk_bytes, unsigned pieces);

  /// Reads the next chunk's bytes and cuts it into pieces (or, with quotes, reads its records on
  /// this thread); false when the input is exhausted and no analysis is left open. Chunks are
  /// read ahead: group() of the chunks before need not have run.
  bool read(FastChunk& c);
  /// Reads piece `i` of a chunk cut into pieces (c.parallel: no quotes), on any thread; pieces
  /// are independent.
  void parse_piece(FastChunk& c, std::size_t i) const;
  /// Forms the analyses of `c` from its pieces' runs (one thread, chunks in order). The last
  /// analysis of a chunk that does not end the input is kept open for the next chunk. Throws the
  /// chunk's read_error, if any.
  void group(FastChunk& c);

  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  [[nodiscard]] const FastLayout& layout() const noexcept { return layout_; }

 private:
  FastGroup& start_group(FastChunk& c, std::string_view id, std::uint64_t hash, std::size_t line);
  void add_odd_row(FastGroup& g, const OddRow& odd, std::size_t line) const;

  std::istream& in_;
  FastLayout layout_;
  ByteBuffer rest_;   // bytes after the last chunk's cut
  std::size_t line_;  // line of rest_'s first byte
  bool eof_;
  std::uint64_t bytes_read_;
  std::size_t chunk_bytes_;
  unsigned pieces_;

  // The analysis the last chunk ended in.
  bool open_ = false;
  FastGroup open_group_;
  std::vector<double> open_y_, open_v_;

  IdIndex ids_;
  std::vector<std::uint64_t> hashes_;
};

/// What a record's yi and vi are.
enum class FastValue : std::uint8_t { usable, missing, problem };

/// Reads the yi and vi texts of one row with the generic reader's rules and messages
/// (effect/generic.cpp): missing for a missing value (the row is left out), problem for a value
/// that cannot be used (worded into `problems` when given), else usable with the values in y, v.
FastValue read_fast_values(std::string_view y_text, std::string_view v_text, double& y, double& v,
                           ProblemList* problems, const std::string& source, std::size_t line,
                           std::size_t yi_column, std::size_t vi_column);

}  // namespace evident::detail

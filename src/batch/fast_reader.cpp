#include "batch/fast_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>

#include "effect/rows.hpp"
#include "evident/io/table.hpp"
#include "io/csv_scan.hpp"
#include "io/csv_stream.hpp"

namespace evident::detail {

namespace {

// Pieces smaller than this are not worth a thread (smaller chunks, as tests use, get smaller
// pieces, so that cutting into pieces is exercised on small inputs too).
constexpr std::size_t kMinPiece = std::size_t{1} << 15;

// Adds one record to its piece, from its fields (shared by both ways of splitting records).
void add_record(Piece& p, const FastLayout& layout, std::size_t line, std::size_t fields,
                std::string_view id, std::string_view y_text, std::string_view v_text,
                const std::string& problem, std::size_t problem_field, std::size_t problem_line) {
  const bool has_id = layout.by < fields;
  if (p.runs.empty() || (has_id && (p.runs.back().no_id || id != p.runs.back().id))) {
    Run& run = p.runs.emplace_back();
    run.id = has_id ? id : std::string_view();
    run.hash = has_id ? IdIndex::hash(id) : 0;
    run.no_id = !has_id;
    run.line = line;
    run.value_begin = p.y.size();
    run.odd_begin = p.odd.size();
  }
  Run& run = p.runs.back();
  ++run.rows;
  // Whatever is wrong is worded later, from what the record held.
  auto odd = [&]() -> OddRow& {
    OddRow& o = p.odd.emplace_back();
    o.line = line;
    o.fields = fields;
    return o;
  };
  if (!problem.empty() || fields != layout.width) {
    OddRow& o = odd();
    o.problem = problem;
    o.problem_field = problem_field;
    o.problem_line = problem_line;
    return;
  }
  double y = 0.0, v = 0.0;
  switch (read_fast_values(y_text, v_text, y, v, nullptr, layout.source, 0, 0, 0)) {
    case FastValue::usable:
      p.y.push_back(y);
      p.v.push_back(v);
      break;
    case FastValue::missing:
      ++run.excluded;
      break;
    case FastValue::problem: {
      OddRow& o = odd();
      o.y_text = y_text;
      o.v_text = v_text;
      break;
    }
  }
}

// The records of a piece that holds no quote, split as CsvStream splits them (fields end at ',',
// records at LF, CRLF or a lone CR, a record of one empty field is a blank line and skipped) but
// keeping only the three fields needed: most of a large batch's reading. The bytes that end
// fields or records are found 16 at a time (a compare per kind and a bit mask whose set bits are
// visited in order), so short fields cost no loop over their characters.
void parse_plain_records(Piece& p, const FastLayout& layout) {
  p.clear();
  const char* b = p.bytes.data();
  const std::size_t end = p.bytes.size();
  const std::string no_problem;
  std::size_t line = 0, record_line = 0, fields = 0, start = 0;
  std::size_t skip_lf = end;  // the LF of a CRLF: the record ended at its CR
  std::string_view id, y_text, v_text;
  bool first_empty = false;
  auto end_field = [&](std::size_t at) {
    const std::string_view text(b + start, at - start);
    if (fields == 0) first_empty = text.empty();
    if (fields == layout.by) id = text;
    if (fields == layout.yi) y_text = text;
    if (fields == layout.vi) v_text = text;
    ++fields;
  };
  auto end_record = [&] {
    if (!(fields == 1 && first_empty)) {  // else a blank line
      add_record(p, layout, record_line, fields, id, y_text, v_text, no_problem, 0, 0);
    }
    fields = 0;
    id = y_text = v_text = std::string_view();
    record_line = line;
  };
  auto special = [&](std::size_t i) {
    const char ch = b[i];
    if (ch == ',') {
      end_field(i);
    } else if (i != skip_lf) {
      end_field(i);
      ++line;
      end_record();
      if (ch == '\r' && i + 1 < end && b[i + 1] == '\n') skip_lf = i + 1;
    }
    start = i + 1;
  };
  std::size_t base = 0;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; base + 16 <= end; base += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + base));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(x, comma), _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)))));
    while (mask != 0) {
      special(base + static_cast<std::size_t>(__builtin_ctz(mask)));
      mask &= mask - 1;
    }
  }
#endif
  for (std::size_t i = base; i < end; ++i) {
    if (b[i] == ',' || b[i] == '\n' || b[i] == '\r') special(i);
  }
  if (start < end || fields > 0) {  // a last record without a line break
    end_field(end);
    end_record();
  }
  p.lines = line;
}

// Reads the records of `p` into rows; returns the offset after the last whole record (all of
// p.bytes when `final`).
std::size_t parse_records(Piece& p, bool final, const FastLayout& layout) {
  p.clear();
  CsvStream csv(p.bytes, final, layout.source, 0);
  const auto lo = reinterpret_cast<std::uintptr_t>(p.bytes.data());
  const std::uintptr_t hi = lo + p.bytes.size();
  while (csv.next()) {
    const auto& f = csv.fields();
    std::string_view id;
    if (layout.by < f.size()) {
      id = f[layout.by];
      const auto at = reinterpret_cast<std::uintptr_t>(id.data());
      if (at < lo || at > hi) id = p.ids.emplace_back(id);  // unescaped: the view will not last
    }
    const bool whole = f.size() == layout.width;
    add_record(p, layout, csv.line(), f.size(), id, whole ? f[layout.yi] : std::string_view(),
               whole ? f[layout.vi] : std::string_view(), csv.problem(), csv.problem_field(),
               csv.problem_line());
  }
  p.lines = csv.next_line();
  return csv.position();
}

Piece& next_piece(FastChunk& c) {
  if (c.n_pieces == c.pieces.size()) c.pieces.emplace_back();
  return c.pieces[c.n_pieces++];
}

}  // namespace

std::uint64_t IdIndex::hash(std::string_view id) noexcept {
  const std::uint64_t h = std::hash<std::string_view>{}(id);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

void IdIndex::reserve(std::size_t more) {
  while (2 * (size_ + more) > slots_.size())
    grow();
}

std::size_t IdIndex::seen_or_add(std::uint64_t hash, std::size_t line) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i].hash == hash) return slots_[i].line;
    if (slots_[i].hash == 0) {
      slots_[i] = {hash, line};
      ++size_;
      return 0;
    }
  }
}

void IdIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(1024, 2 * old.size()), Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.hash == 0) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].hash != 0)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::string reappearing_id_message(std::string_view id, std::size_t first, std::string_view by) {
  return fmt::format(
      "analysis id '{}' first appeared on line {} and its rows do not follow on: rows of one "
      "analysis must be contiguous (sort the file by column '{}'); these rows are reported on "
      "their own",
      id, first, by);
}

FastValue read_fast_values(std::string_view y_text, std::string_view v_text, double& y, double& v,
                           ProblemList* problems, const std::string& source, std::size_t line,
                           std::size_t yi_column, std::size_t vi_column) {
  const CellValue yc = parse_number(y_text);
  const CellValue vc = parse_number(v_text);
  bool problem = false;
  auto add = [&](std::size_t column, std::string message) {
    problem = true;
    if (problems != nullptr) problems->add({source, line, column}, std::move(message));
  };
  if (yc.kind == CellKind::not_number) add(yi_column, not_a_number_message(y_text, "yi"));
  if (vc.kind == CellKind::not_number) {
    add(vi_column, not_a_number_message(v_text, "vi"));
  } else if (vc.kind == CellKind::number && vc.value < 0) {
    add(vi_column, std::string(kNegativeVarianceMessage));
  } else if (vc.kind == CellKind::number && vc.value == 0) {
    add(vi_column, std::string(kZeroVarianceMessage));
  }
  if (problem) return FastValue::problem;
  if (yc.kind == CellKind::missing || vc.kind == CellKind::missing) return FastValue::missing;
  if (auto message = pooling_range_problem(yc.value, vc.value)) {
    add(yi_column, std::move(*message));
    return FastValue::problem;
  }
  y = yc.value;
  v = vc.value;
  return FastValue::usable;
}

FastReader::FastReader(std::istream& in, FastLayout layout, std::string_view unread,
                       std::size_t next_line, bool at_end, std::uint64_t bytes_before,
                       std::size_t chunk_bytes, unsigned pieces)
    : in_(in),
      layout_(std::move(layout)),
      rest_(),
      line_(next_line),
      eof_(at_end),
      bytes_read_(bytes_before),
      chunk_bytes_(std::max<std::size_t>(chunk_bytes, 1)),
      pieces_(std::max(pieces, 1u)) {
  rest_.assign(unread.data(), unread.size());
}

bool FastReader::read(FastChunk& c) {
  c.n_pieces = 0;
  c.parallel = false;
  c.bytes.swap(rest_);
  rest_.clear();
  c.read_error.clear();
  if (c.bytes.empty() && eof_ && !open_) return false;
  // A chunk is about `want` bytes: bytes left from the last chunk come first (the header's reader
  // may have left a large block), then the stream's.
  std::size_t want = chunk_bytes_;
  for (;;) {
    if (!eof_ && c.bytes.size() < want) {
      const std::size_t old = c.bytes.size();
      const std::size_t ask = want - old;
      c.bytes.resize(want);
      in_.read(c.bytes.data() + old, static_cast<std::streamsize>(ask));
      const auto got = static_cast<std::size_t>(in_.gcount());
      c.bytes.resize(old + got);
      if (got < ask || !in_) eof_ = true;
    }
    const char* b = c.bytes.data();
    const std::size_t size = c.bytes.size();
    const std::size_t limit = std::min(size, want);
    const bool last = eof_ && limit == size;  // this chunk may end the input
    std::size_t cut = size;
    if (limit == 0 || std::memchr(b, '"', limit) == nullptr) {
      if (!last) {
        const void* nl = limit > 0 ? ::memrchr(b, '\n', limit) : nullptr;
        if (nl == nullptr) {  // no whole line yet
          want *= 2;
          continue;
        }
        cut = static_cast<std::size_t>(static_cast<const char*>(nl) - b) + 1;
      }
      // Pieces end at line breaks, which here always end records.
      const std::size_t min_piece = std::clamp<std::size_t>(chunk_bytes_ / 4, 1, kMinPiece);
      const std::size_t n = std::clamp<std::size_t>(cut / min_piece, 1, pieces_);
      std::size_t begin = 0;
      for (std::size_t j = 1; j <= n && begin < cut; ++j) {
        std::size_t end = cut;
        if (j < n) {
          const std::size_t target = std::max(begin, j * cut / n);
          const void* nl = std::memchr(b + target, '\n', cut - target);
          end =
              nl == nullptr ? cut : static_cast<std::size_t>(static_cast<const char*>(nl) - b) + 1;
        }
        Piece& p = next_piece(c);
        p.bytes = std::string_view(b + begin, end - begin);
        begin = end;
      }
      c.parallel = true;
    } else {
      // A quote may hold a line break: records are found one by one, here.
      Piece& p = next_piece(c);
      p.bytes = std::string_view(b, limit);
      try {
        cut = parse_records(p, last, layout_);
      } catch (const InputError& e) {  // only at the end of the input: nothing follows
        c.read_error = e.problems();
        cut = size;
      }
      if (cut == 0 && !last) {  // not one whole record yet
        c.n_pieces = 0;
        want *= 2;
        continue;
      }
      p.bytes = p.bytes.substr(0, cut);
    }
    rest_.assign(b + cut, size - cut);
    c.bytes.resize(cut);  // never reallocates: the pieces' views stay valid
    bytes_read_ += cut;
    c.final = last && cut == size;
    return true;
  }
}

void FastReader::parse_piece(FastChunk& c, std::size_t i) const {
  parse_plain_records(c.pieces[i], layout_);
}

FastGroup& FastReader::start_group(FastChunk& c, std::string_view id, std::uint64_t hash,
                                   std::size_t line) {
  if (c.n_groups == c.groups.size()) c.groups.emplace_back();
  FastGroup& g = c.groups[c.n_groups++];
  g.id.assign(id);
  g.hash = hash;
  g.line = line;
  g.rows = 0;
  g.excluded = 0;
  g.begin = g.end = c.y.size();
  g.carried = false;
  g.record_problems = ProblemList{};
  g.value_problems = ProblemList{};
  return g;
}

void FastReader::add_odd_row(FastGroup& g, const OddRow& odd, std::size_t line) const {
  const FastLayout& l = layout_;
  if (!odd.problem.empty()) {
    g.record_problems.add({l.source, line + (odd.problem_line - odd.line), odd.problem_field},
                          odd.problem);
  } else if (odd.fields < l.width) {
    g.record_problems.add({l.source, line, 0},
                          fmt::format("too few fields: {} of the {} the header (line {}) names; "
                                      "the first missing one is '{}'",
                                      odd.fields, l.width, l.header_line, l.names[odd.fields]));
  } else if (odd.fields > l.width) {
    g.record_problems.add({l.source, line, l.width + 1},
                          fmt::format("too many fields: {} where the header (line {}) names {}",
                                      odd.fields, l.header_line, l.width));
  } else {
    double y = 0.0, v = 0.0;
    (void)read_fast_values(odd.y_text, odd.v_text, y, v, &g.value_problems, l.source, line,
                           l.yi + 1, l.vi + 1);
  }
}

void FastReader::group(FastChunk& c) {
  c.n_groups = 0;
  c.y.clear();
  c.v.clear();
  c.big_y.clear();
  c.big_v.clear();
  FastGroup* g = nullptr;
  // Where the current analysis's studies go: the chunk's arrays, or for an analysis carried over
  // from earlier chunks, straight to the arrays that gather it (a very large analysis is copied
  // once, not once per chunk).
  std::vector<double>* to_y = &c.y;
  std::vector<double>* to_v = &c.v;
  if (open_) {
    if (c.n_groups == c.groups.size()) c.groups.emplace_back();
    g = &c.groups[c.n_groups++];
    std::swap(*g, open_group_);
    g->carried = true;
    g->begin = g->end = 0;
    open_ = false;
    to_y = &open_y_;
    to_v = &open_v_;
  }
  c.first_line = line_;
  if (!c.read_error.empty()) {
    for (InputProblem& problem : c.read_error)
      problem.where.line += c.first_line;
    throw InputError(std::move(c.read_error));
  }
  std::size_t base = c.first_line;
  for (std::size_t j = 0; j < c.n_pieces; ++j) {
    const Piece& p = c.pieces[j];
    for (std::size_t i = 0; i < p.runs.size(); ++i) {
      const Run& run = p.runs[i];
      const bool more = i + 1 < p.runs.size();
      const std::size_t value_end = more ? p.runs[i + 1].value_begin : p.y.size();
      const std::size_t odd_end = more ? p.runs[i + 1].odd_begin : p.odd.size();
      std::string_view id = run.id;
      std::uint64_t hash = run.hash;
      if (run.no_id) {
        id = g ? std::string_view(g->id) : std::string_view();
        hash = g ? g->hash : IdIndex::hash(id);
      }
      if (g == nullptr || hash != g->hash || id != g->id) {
        if (g != nullptr) g->end = to_y->size();
        g = &start_group(c, id, hash, base + run.line);
        to_y = &c.y;
        to_v = &c.v;
      }
      g->rows += run.rows;
      g->excluded += run.excluded;
      for (std::size_t k = run.odd_begin; k < odd_end; ++k)
        add_odd_row(*g, p.odd[k], base + p.odd[k].line);
      to_y->insert(to_y->end(), p.y.begin() + static_cast<std::ptrdiff_t>(run.value_begin),
                   p.y.begin() + static_cast<std::ptrdiff_t>(value_end));
      to_v->insert(to_v->end(), p.v.begin() + static_cast<std::ptrdiff_t>(run.value_begin),
                   p.v.begin() + static_cast<std::ptrdiff_t>(value_end));
    }
    base += p.lines;
  }
  line_ = base;
  if (g != nullptr) g->end = to_y->size();

  // Ids that appeared before, for the analyses that began here: looked up together, each slot
  // fetched a few ids ahead, as the table of a long run is far larger than the cache.
  const std::size_t first_new = (c.n_groups > 0 && c.groups[0].carried) ? 1 : 0;
  const std::size_t n_new = c.n_groups - first_new;
  hashes_.resize(n_new);
  for (std::size_t i = 0; i < n_new; ++i)
    hashes_[i] = c.groups[first_new + i].hash;
  ids_.reserve(n_new);
  constexpr std::size_t kAhead = 8;
  for (std::size_t i = 0; i < std::min(kAhead, n_new); ++i)
    ids_.prefetch(hashes_[i]);
  for (std::size_t i = 0; i < n_new; ++i) {
    if (i + kAhead < n_new) ids_.prefetch(hashes_[i + kAhead]);
    FastGroup& h = c.groups[first_new + i];
    if (const std::size_t first = ids_.seen_or_add(hashes_[i], h.line); first != 0) {
      h.record_problems.add_first({layout_.source, h.line, layout_.by + 1},
                                  reappearing_id_message(h.id, first, layout_.by_name));
    }
  }

  // The last analysis may go on in the next chunk.
  const bool last_open = !c.final && g != nullptr;
  if (c.n_groups > 0 && c.groups[0].carried && !(last_open && c.n_groups == 1)) {
    // A carried analysis that ends here: its studies, from every chunk, in big_y and big_v.
    FastGroup& first = c.groups[0];
    c.big_y.swap(open_y_);
    c.big_v.swap(open_v_);
    open_y_.clear();
    open_v_.clear();
    first.begin = 0;
    first.end = c.big_y.size();
  }
  if (last_open) {
    if (!g->carried) {  // it began here: its studies so far move to the gathering arrays
      const auto begin = static_cast<std::ptrdiff_t>(g->begin);
      const auto end = static_cast<std::ptrdiff_t>(g->end);
      open_y_.assign(c.y.begin() + begin, c.y.begin() + end);
      open_v_.assign(c.v.begin() + begin, c.v.begin() + end);
    }
    std::swap(open_group_, *g);
    --c.n_groups;
    open_ = true;
  }
}

}  // namespace evident::detail

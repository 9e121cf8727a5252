// The RFC 4180 reader (evident::read_csv) and the number parser every measure relies on
// (evident::parse_number). Errors must name file, line and column, and report every problem.

#include "evident/io/csv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/error.hpp"
#include "evident/io/table.hpp"

namespace {

constexpr const char* kSource = "in.csv";

evident::StudyTable read(std::string_view text) {
  std::istringstream in{std::string(text)};
  return evident::read_csv(in, kSource);
}

// The problems read_csv reports for `text`; a test failure if it does not throw.
std::vector<evident::InputProblem> problems_of(std::string_view text) {
  try {
    (void)read(text);
  } catch (const evident::InputError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "read_csv accepted input it should reject:\n" << text;
  return {};
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- well-formed input -------------------------------------------------------------------------

TEST(CsvRead, HeaderAndRowsAreKeptAsText) {
  const auto t = read("study,yi,vi\nA,0.5,0.1\nB,-1.25,0.02\n");
  EXPECT_EQ(t.source(), kSource);
  ASSERT_EQ(t.columns(), 3u);
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"study", "yi", "vi"}));
  EXPECT_EQ(t.cell(0, 0), "A");
  EXPECT_EQ(t.cell(1, 1), "-1.25");
  EXPECT_EQ(t.line(0), 2u);
  EXPECT_EQ(t.line(1), 3u);
  EXPECT_EQ(t.find_column("vi"), 2u);
  EXPECT_FALSE(t.find_column("sei").has_value());
}

TEST(CsvRead, LastLineWithoutNewline) {
  const auto t = read("a,b\n1,2");
  ASSERT_EQ(t.rows(), 1u);
  EXPECT_EQ(t.cell(0, 1), "2");
}

TEST(CsvRead, QuotedFieldKeepsCommas) {
  const auto t = read("study,yi\n\"Smith, 2001\",1\n");
  ASSERT_EQ(t.rows(), 1u);
  EXPECT_EQ(t.cell(0, 0), "Smith, 2001");
  EXPECT_EQ(t.cell(0, 1), "1");
}

TEST(CsvRead, DoubledQuotesAreOneQuote) {
  const auto t = read("study,yi\n\"the \"\"big\"\" trial\",1\n\"\"\"\",2\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 0), "the \"big\" trial");
  EXPECT_EQ(t.cell(1, 0), "\"");
}

TEST(CsvRead, QuotedHeaderName) {
  const auto t = read("\"study\",\"y, i\"\nA,1\n");
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"study", "y, i"}));
}

TEST(CsvRead, EmbeddedLineFeedInQuotedField) {
  const auto t = read("study,note,yi\nA,\"two\nlines\",1\nB,x,2\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 1), "two\nlines");
  // The record starts on line 2; the next one starts on line 4, not 3.
  EXPECT_EQ(t.line(0), 2u);
  EXPECT_EQ(t.line(1), 4u);
}

TEST(CsvRead, EmbeddedCrlfBecomesOneLineFeed) {
  const auto t = read("study,note\r\nA,\"one\r\ntwo\r\nthree\"\r\nB,x\r\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 1), "one\ntwo\nthree");
  EXPECT_EQ(t.line(0), 2u);
  EXPECT_EQ(t.line(1), 5u);
}

TEST(CsvRead, CrlfLineEndingsLeaveNoCarriageReturn) {
  const auto t = read("study,yi\r\nA,1\r\nB,2\r\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.column_names().back(), "yi");
  EXPECT_EQ(t.cell(0, 1), "1");
  EXPECT_EQ(t.cell(1, 1), "2");
  EXPECT_EQ(t.line(1), 3u);
}

TEST(CsvRead, Utf8ByteOrderMarkIsSkipped) {
  const auto t = read("\xEF\xBB\xBFstudy,yi\nA,1\n");
  EXPECT_EQ(t.column_names().front(), "study");
  EXPECT_TRUE(t.find_column("study").has_value());
  EXPECT_EQ(t.line(0), 2u);  // the BOM does not shift line numbers
}

TEST(CsvRead, BlankLinesAreSkippedButCounted) {
  const auto t = read("\n\nstudy,yi\n\nA,1\r\n\r\nB,2\n\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 0), "A");
  EXPECT_EQ(t.cell(1, 0), "B");
  EXPECT_EQ(t.line(0), 5u);
  EXPECT_EQ(t.line(1), 7u);
}

TEST(CsvRead, HeaderNamesAreTrimmed) {
  const auto t = read(" study ,\tyi\t,  vi\nA,1,2\n");
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"study", "yi", "vi"}));
  EXPECT_TRUE(t.find_column("yi").has_value());
}

TEST(CsvRead, EmptyCells) {
  const auto t = read("a,b,c\n,2,\n1,,3\n\"\",\"\",\"\"\n");
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.cell(0, 0), "");
  EXPECT_EQ(t.cell(0, 1), "2");
  EXPECT_EQ(t.cell(0, 2), "");
  EXPECT_EQ(t.cell(1, 1), "");
  for (std::size_t c = 0; c < 3; ++c)
    EXPECT_EQ(t.cell(2, c), "");
}

TEST(CsvRead, HeaderOnlyGivesNoRows) {
  const auto t = read("yi,vi\n");
  EXPECT_EQ(t.columns(), 2u);
  EXPECT_EQ(t.rows(), 0u);
}

TEST(CsvRead, WhereNamesFileLineAndOneBasedColumn) {
  const auto t = read("a,b\n\n1,2\n");
  const evident::SourceLocation w = t.where(0, 1);
  EXPECT_EQ(w.file, kSource);
  EXPECT_EQ(w.line, 3u);
  EXPECT_EQ(w.column, 2u);
}

// ---- parse_number ------------------------------------------------------------------------------

TEST(ParseNumber, PlainAndScientific) {
  using evident::CellKind;
  EXPECT_EQ(evident::parse_number("12").kind, CellKind::number);
  EXPECT_EQ(evident::parse_number("12").value, 12.0);
  EXPECT_EQ(evident::parse_number("-0.25").value, -0.25);
  EXPECT_EQ(evident::parse_number("1e-3").kind, CellKind::number);
  EXPECT_EQ(evident::parse_number("1e-3").value, 1e-3);
  EXPECT_EQ(evident::parse_number("2.5E2").value, 250.0);
  EXPECT_EQ(evident::parse_number(".5").value, 0.5);
}

TEST(ParseNumber, SurroundingSpacesAreIgnored) {
  const auto v = evident::parse_number("  3.5\t ");
  EXPECT_EQ(v.kind, evident::CellKind::number);
  EXPECT_EQ(v.value, 3.5);
}

TEST(ParseNumber, LeadingPlusIsAccepted) {
  const auto v = evident::parse_number("+1");
  EXPECT_EQ(v.kind, evident::CellKind::number);
  EXPECT_EQ(v.value, 1.0);
}

TEST(ParseNumber, EmptyAndNaAreMissing) {
  EXPECT_EQ(evident::parse_number("").kind, evident::CellKind::missing);
  EXPECT_EQ(evident::parse_number("   ").kind, evident::CellKind::missing);
  EXPECT_EQ(evident::parse_number("NA").kind, evident::CellKind::missing);
  EXPECT_EQ(evident::parse_number(" NA ").kind, evident::CellKind::missing);
}

TEST(ParseNumber, TextIsNotANumber) {
  for (const char* text :
       {"abc", "1.5x", "x1.5", "1 2", "1,5", "0x10", "--1", "+", "-", "e5", "na", "N/A"}) {
    EXPECT_EQ(evident::parse_number(text).kind, evident::CellKind::not_number) << text;
  }
}

// A sign must appear once: "+-1" is not a number, as "--1" and "-+1" are not.
TEST(ParseNumber, PlusFollowedByMinusIsNotANumber) {
  EXPECT_EQ(evident::parse_number("-+1").kind, evident::CellKind::not_number);
  EXPECT_EQ(evident::parse_number("+-1").kind, evident::CellKind::not_number);
}

TEST(ParseNumber, NonFiniteValuesAreNotNumbers) {
  for (const char* text : {"NaN", "nan", "Inf", "-Inf", "inf", "infinity", "1e999", "-1e999"}) {
    EXPECT_EQ(evident::parse_number(text).kind, evident::CellKind::not_number) << text;
  }
}

// ---- errors ------------------------------------------------------------------------------------

TEST(CsvErrors, EmptyFile) {
  const auto p = problems_of("");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, 0u);
  EXPECT_TRUE(contains(p[0].message, "empty")) << p[0].message;
  EXPECT_TRUE(contains(p[0].message, "header")) << p[0].message;
}

TEST(CsvErrors, OnlyBlankLinesIsEmpty) {
  const auto p = problems_of("\n\r\n\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "empty")) << p[0].message;
}

TEST(CsvErrors, ByteOrderMarkAloneIsEmpty) {
  const auto p = problems_of("\xEF\xBB\xBF");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "empty")) << p[0].message;
}

TEST(CsvErrors, EmptyHeaderName) {
  const auto p = problems_of("\nstudy,,yi\nA,1,2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, 2u);
  EXPECT_EQ(p[0].where.column, 2u);
  EXPECT_TRUE(contains(p[0].message, "empty column name")) << p[0].message;
}

TEST(CsvErrors, BlankHeaderNameAfterTrimming) {
  const auto p = problems_of("yi,  \n1,2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.column, 2u);
  EXPECT_TRUE(contains(p[0].message, "empty column name")) << p[0].message;
}

TEST(CsvErrors, DuplicateColumnName) {
  const auto p = problems_of("yi,vi,yi\n1,2,3\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 1u);
  EXPECT_EQ(p[0].where.column, 3u);
  EXPECT_TRUE(contains(p[0].message, "duplicate column name 'yi'")) << p[0].message;
}

TEST(CsvErrors, DuplicateAfterTrimming) {
  const auto p = problems_of("yi, yi \n1,2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.column, 2u);
  EXPECT_TRUE(contains(p[0].message, "'yi'")) << p[0].message;
}

TEST(CsvErrors, TooFewFields) {
  const auto p = problems_of("study,yi,vi\nA,1,2\nB,1\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, 3u);
  EXPECT_TRUE(contains(p[0].message, "too few fields")) << p[0].message;
  EXPECT_TRUE(contains(p[0].message, "'vi'")) << p[0].message;  // the first missing column
}

TEST(CsvErrors, TooManyFieldsPointsAtTheFirstExtraField) {
  const auto p = problems_of("study,yi\nA,1,2,3\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 2u);
  EXPECT_EQ(p[0].where.column, 3u);
  EXPECT_TRUE(contains(p[0].message, "too many fields")) << p[0].message;
}

TEST(CsvErrors, LineOfARowAfterAMultiLineField) {
  const auto p = problems_of("study,yi\n\"A\nB\nC\",1\nD\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 5u);
  EXPECT_TRUE(contains(p[0].message, "too few fields")) << p[0].message;
}

TEST(CsvErrors, UnterminatedQuoteNamesTheLineOfTheOpeningQuote) {
  const auto p = problems_of("study,yi\nA,1\nB,\"2\nC,3\nD,4\n");
  ASSERT_GE(p.size(), 1u);
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, 3u);
  EXPECT_EQ(p[0].where.column, 2u);
  EXPECT_TRUE(contains(p[0].message, "unterminated")) << p[0].message;
}

TEST(CsvErrors, TextAfterClosingQuote) {
  const auto p = problems_of("study,yi\n\"A\"x,1\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 2u);
  EXPECT_EQ(p[0].where.column, 1u);
  EXPECT_TRUE(contains(p[0].message, "after the closing quote")) << p[0].message;
}

TEST(CsvErrors, TextAfterAClosingQuoteIsPlacedOnTheLineOfTheQuote) {
  // The record starts on line 2; its quoted label spans lines 2-3 and the stray text is on 3.
  const auto p = problems_of("study,yi\n\"A\nsecond\"x,1\nB,2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 3u);
  EXPECT_EQ(p[0].where.column, 1u);
}

TEST(CsvErrors, SpacesAfterClosingQuoteAreAllowed) {
  const auto t = read("study,yi\n\"A\"  ,1\n");
  ASSERT_EQ(t.rows(), 1u);
  EXPECT_EQ(t.cell(0, 0), "A");
}

TEST(CsvErrors, QuoteInsideUnquotedField) {
  const auto p = problems_of("study,yi\nA,1\nB 5\"x,2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 3u);
  EXPECT_EQ(p[0].where.column, 1u);
  EXPECT_TRUE(contains(p[0].message, "quote inside an unquoted field")) << p[0].message;
}

TEST(CsvErrors, EveryProblemIsReportedInOrder) {
  const auto p = problems_of(
      "study,yi,yi\n"  // line 1: duplicate name (column 3)
      "A,1\n"          // line 2: too few fields
      "B,1,2,3\n"      // line 3: too many fields (column 4)
      "C,\"1\"x,2\n"   // line 4: text after a closing quote (column 2)
      "D,1,2\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].where.line, 1u);
  EXPECT_TRUE(contains(p[0].message, "duplicate")) << p[0].message;
  EXPECT_EQ(p[1].where.line, 2u);
  EXPECT_TRUE(contains(p[1].message, "too few")) << p[1].message;
  EXPECT_EQ(p[2].where.line, 3u);
  EXPECT_EQ(p[2].where.column, 4u);
  EXPECT_TRUE(contains(p[2].message, "too many")) << p[2].message;
  EXPECT_EQ(p[3].where.line, 4u);
  EXPECT_EQ(p[3].where.column, 2u);
  EXPECT_TRUE(contains(p[3].message, "closing quote")) << p[3].message;
}

TEST(CsvErrors, ProblemsBeyondTheCapAreCounted) {
  constexpr std::size_t kBadRows = evident::ProblemList::kMaxKept + 5;
  std::string text = "study,yi,vi\n";
  for (std::size_t i = 0; i < kBadRows; ++i)
    text += "x,1\n";  // each row lacks one field
  const auto p = problems_of(text);
  ASSERT_EQ(p.size(), evident::ProblemList::kMaxKept + 1);
  for (std::size_t i = 0; i < evident::ProblemList::kMaxKept; ++i) {
    EXPECT_EQ(p[i].where.line, i + 2) << i;
    EXPECT_TRUE(contains(p[i].message, "too few fields")) << p[i].message;
  }
  // The last line says how many were left out and points nowhere.
  EXPECT_EQ(p.back().message, "... and 5 more problems");
  EXPECT_TRUE(p.back().where.file.empty());
  EXPECT_EQ(p.back().format(), "... and 5 more problems");
}

TEST(CsvErrors, WhatJoinsProblemsAsFileLineColumn) {
  try {
    (void)read("a,b\n1,2,3\n1,2,3,4\n");
    FAIL() << "expected InputError";
  } catch (const evident::InputError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, "in.csv:2:3: too many fields")) << what;
    EXPECT_TRUE(contains(what, "\nin.csv:3:3: too many fields")) << what;
  }
}

TEST(CsvErrors, ProblemFormatOmitsZeroLineAndColumn) {
  // Named problems rather than temporaries: GCC 12 at -O3 wrongly warns (maybe-uninitialized)
  // about the temporaries' strings.
  auto format = [](std::string file, std::size_t line, std::size_t column) {
    const evident::InputProblem p{{std::move(file), line, column}, "bad"};
    return p.format();
  };
  EXPECT_EQ(format("f.csv", 3, 2), "f.csv:3:2: bad");
  EXPECT_EQ(format("f.csv", 3, 0), "f.csv:3: bad");
  EXPECT_EQ(format("f.csv", 0, 0), "f.csv: bad");
  EXPECT_EQ(format("", 0, 0), "bad");
}

TEST(CsvErrors, UnopenableFileNamesThePath) {
  const std::string path = "/nonexistent-evident-dir/none.csv";
  try {
    (void)evident::read_csv_file(path);
    FAIL() << "expected InputError";
  } catch (const evident::InputError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].where.file, path);
    EXPECT_TRUE(contains(e.problems()[0].message, "cannot open")) << e.problems()[0].message;
  }
}

}  // namespace

namespace {

// The reader takes the input in blocks of 1 MiB: records, quoted fields, doubled quotes and CRLF
// pairs that straddle a block's end read as they do anywhere else, and lines are counted across.
// Blank lines before the body move the block's end through every byte of a few records.
TEST(CsvBlocks, RecordsAcrossBlockEndsReadAsAnywhereElse) {
  std::string body;
  std::vector<std::string> labels;
  std::vector<std::size_t> lines;  // counted from the body's first line
  std::size_t line = 0;
  for (std::size_t i = 0; body.size() < (std::size_t{1} << 20) + 4096; ++i) {
    // Every third label quoted, with a comma, doubled quotes and a CRLF line break inside.
    // Long labels up to near the block's end, short ones around it (so that the pads below move
    // the end through whole records of each kind).
    const bool near_end = body.size() + 2048 > (std::size_t{1} << 20);
    std::string label(near_end ? 1 + i % 4 : 1 + (i * 7919) % 300, static_cast<char>('a' + i % 26));
    std::string field = label;
    std::size_t breaks = 0;
    if (i % 3 == 0) {
      field.assign(1, '"');
      field += label;
      field += ", \"\"x\"\"\r\nsecond\"";
      label += ", \"x\"\nsecond";
      breaks = 1;
    }
    labels.push_back(label);
    lines.push_back(line);
    body += "s";
    body += std::to_string(i);
    body += ',';
    body += field;
    body += ",0.5\r\n";
    line += 1 + breaks;
  }
  std::size_t wrong = 0;
  for (std::size_t pad = 0; pad < 80 && wrong < 5; ++pad) {
    std::string text = "study,label,yi\r\n";
    text.append(pad, '\n');
    text += body;
    const evident::StudyTable t = read(text);
    ASSERT_EQ(t.rows(), labels.size()) << "pad " << pad;
    for (std::size_t r = 0; r < t.rows() && wrong < 5; ++r) {
      if (t.cell(r, 1) != labels[r] || t.line(r) != lines[r] + 2 + pad || t.cell(r, 2) != "0.5") {
        ++wrong;
        ADD_FAILURE() << "pad " << pad << ", row " << r << " (line " << t.line(r) << ")";
      }
    }
  }
}

}  // namespace

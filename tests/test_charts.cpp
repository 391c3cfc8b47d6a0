// charts: the SVG code of charts/, which the benchmark suite's chart tool (svg-chart,
// scripts/charts/) and the client's --svg draw with: reading the suite's TSV files, axis
// ticks and scales, labels, XML escaping, and that each chart draws one mark per value and
// nothing for rows that have none.
#include <doctest/doctest.h>

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "charts/plots.hpp"
#include "charts/scale.hpp"
#include "charts/svg.hpp"
#include "charts/table.hpp"

using charts::parse_tsv;
using charts::Table;

namespace {

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// The x of each point of the first polyline in `svg` ("points="x,y x,y ..."").
std::vector<double> first_line_xs(const std::string& svg) {
  const auto start = svg.find("points=\"", svg.find("<polyline")) + 8;
  std::istringstream points(svg.substr(start, svg.find('"', start) - start));
  std::vector<double> xs;
  double x = 0;
  double y = 0;
  char comma = 0;
  while (points >> x >> comma >> y)
    xs.push_back(x);
  return xs;
}

// The shape of scripts/bench.sh's results.tsv, cut down to the columns the chart reads.
const char* const kResults =
    "row\tok\tp50_us\tp90_us\tp99_us\tp999_us\tserver_cpu_s\n"
    "book\t4000\t1163000\t1200000\t1237000\t1240000\t0.27\n"
    "stream-p1\t200000\t280\t900\t12500\t20000\t2.81\n"
    "idle\t0\t-\t-\t-\t-\t0.00\n";

}  // namespace

TEST_CASE("charts table: cells are read by column name, '-' is no value") {
  const Table table = parse_tsv(kResults);
  REQUIRE(table.rows.size() == 3);
  CHECK(table.cell(1, "row") == "stream-p1");
  CHECK(table.number(0, "p99_us") == 1237000.0);
  CHECK(table.number(1, "server_cpu_s") == doctest::Approx(2.81));
  CHECK_FALSE(table.number(2, "p50_us"));
  CHECK_THROWS_WITH_AS(table.cell(0, "p42_us"), "no column 'p42_us' in the table",
                       std::runtime_error);
}

TEST_CASE("charts table: CRLF and a trailing blank line are tolerated, ragged lines are not") {
  const Table table = parse_tsv("a\tb\r\n1\t2\r\n\n");
  REQUIRE(table.rows.size() == 1);
  CHECK(table.cell(0, "b") == "2");
  CHECK_THROWS_AS(parse_tsv("a\tb\n1\t2\t3\n"), std::runtime_error);
  CHECK_THROWS_AS(parse_tsv(""), std::runtime_error);
  CHECK_THROWS_AS(charts::parse_number("12ms"), std::runtime_error);
}

TEST_CASE("charts ticks: 1-2-5 steps that cover the range") {
  CHECK(charts::nice_ticks(0, 66000, 5) == std::vector<double>{0, 20000, 40000, 60000, 80000});
  CHECK(charts::nice_ticks(0, 60000, 6) ==
        std::vector<double>{0, 10000, 20000, 30000, 40000, 50000, 60000});
  CHECK(charts::nice_ticks(0, 1, 5) == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1});
  for (const double hi : {0.7, 3.0, 99.0, 57495.0, 693795.0, 2.3e6}) {
    CAPTURE(hi);
    const auto ticks = charts::nice_ticks(0, hi, 5);
    CHECK(ticks.front() == 0);
    CHECK(ticks.back() >= hi);
    CHECK(ticks.size() >= 3);
    CHECK(ticks.size() <= 11);
  }
}

TEST_CASE("charts ticks: decades from the one below the smallest to the one above the largest") {
  CHECK(charts::decade_ticks(48, 1.9e6) ==
        std::vector<double>{10, 100, 1000, 10000, 100000, 1e6, 1e7});
  CHECK(charts::decade_ticks(100, 1000) == std::vector<double>{100, 1000});
  CHECK(charts::decade_ticks(5, 5) == std::vector<double>{1, 10});  // never a single mark
}

TEST_CASE("charts scales: the ends of the domain land on the ends of the range") {
  const charts::LinearScale linear(0, 80000, 424, 92);  // y grows downwards
  CHECK(linear(0) == 424);
  CHECK(linear(80000) == 92);
  CHECK(linear(40000) == 258);
  const charts::LogScale log(10, 1e7, 424, 94);
  CHECK(log(10) == doctest::Approx(424));
  CHECK(log(1e7) == doctest::Approx(94));
  CHECK(log(1e4) == doctest::Approx(259));  // each decade the same height
  CHECK(log(0) == 424);
}

TEST_CASE("charts labels: three significant digits with a unit") {
  CHECK(charts::format_si(0) == "0");
  CHECK(charts::format_si(950) == "950");
  CHECK(charts::format_si(20000) == "20k");
  CHECK(charts::format_si(26738.8) == "26.7k");
  CHECK(charts::format_si(999.9) == "1k");
  CHECK(charts::format_si(1.5e6) == "1.5M");
  CHECK(charts::format_us(48) == "48 µs");
  CHECK(charts::format_us(1000) == "1 ms");
  CHECK(charts::format_us(999.7) == "1 ms");
  CHECK(charts::format_us(1032191) == "1.03 s");
}

TEST_CASE("charts svg: text from the results file is escaped") {
  CHECK(charts::escape_xml("p<50 & \"x\">") == "p&lt;50 &amp; &quot;x&quot;&gt;");
  charts::Svg svg(100, 50);
  svg.text(1, 2, "a<b");
  const std::string out = svg.finish();
  CHECK(out.find("a&lt;b") != std::string::npos);
  CHECK(out.find("a<b") == std::string::npos);
  CHECK(out.ends_with("</svg>\n"));
}

TEST_CASE("charts latency: four bars per row that has latencies, none for the idle row") {
  const std::string svg = charts::latency_chart(parse_tsv(kResults));
  CHECK(svg.starts_with("<?xml"));
  CHECK(svg.ends_with("</svg>\n"));
  CHECK(count(svg, "<title>") == 8);  // one per bar
  CHECK(count(svg, "<title>book p99: 1.24 s</title>") == 1);
  CHECK(count(svg, ">stream-p1</text>") == 1);
  CHECK(count(svg, ">idle</text>") == 0);
  CHECK_THROWS_AS(charts::latency_chart(parse_tsv("row\tp50_us\tp90_us\tp99_us\tp999_us\n"
                                                  "idle\t-\t-\t-\t-\n")),
                  std::runtime_error);
}

TEST_CASE("charts throughput: one line per series through its points in concurrency order") {
  const Table sweep = parse_tsv(
      "series\tconcurrency\trps\n"
      "p1\t4\t30000\n"
      "p1\t1\t9000\n"
      "p16\t1\t90000\n"
      "p1\t2\t18000\n");
  const std::string svg = charts::throughput_chart(sweep);
  CHECK(count(svg, "<polyline") == 2);
  CHECK(count(svg, "<circle") == 4);
  CHECK(count(svg, "<title>p1, concurrency 2: 18k req/s</title>") == 1);
  // The p1 line goes 1, 2, 4 from left to right, whatever the file's order.
  const std::vector<double> xs = first_line_xs(svg);
  REQUIRE(xs.size() == 3);
  CHECK(xs[0] < xs[1]);
  CHECK(xs[1] < xs[2]);
  CHECK_THROWS_AS(charts::throughput_chart(parse_tsv("series\tconcurrency\trps\n")),
                  std::runtime_error);
}

TEST_CASE("charts throughput: a point's range over its runs is drawn as a whisker") {
  const std::string ranged = charts::throughput_chart(
      parse_tsv("series\tconcurrency\trps\truns\trps_min\trps_max\n"
                "p1\t1\t9000\t3\t8000\t12000\n"
                "p1\t2\t18000\t3\t18000\t18000\n"));  // runs that agree: no whisker
  const std::string single =
      charts::throughput_chart(parse_tsv("series\tconcurrency\trps\n"
                                         "p1\t1\t9000\n"
                                         "p1\t2\t18000\n"));
  CHECK(count(ranged, "<line") == count(single, "<line") + 3);  // a stem and two caps
}

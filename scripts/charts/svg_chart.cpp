// svg-chart: draws the benchmark suite's charts from its results files (scripts/bench.sh),
// so the figures in docs/BENCHMARKS.md come from the project itself, not from a plotting
// package; the drawing is charts/ (plots.hpp). `make bench` runs it on build/bench/,
// `make bench-charts` on docs/bench/.
//
//   svg-chart latency    results.tsv latency.svg
//   svg-chart throughput sweep.tsv   throughput.svg
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "charts/plots.hpp"
#include "charts/table.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view kind = argc == 4 ? argv[1] : "";
  if (kind != "latency" && kind != "throughput") {
    std::fputs(
        "usage: svg-chart latency RESULTS.tsv OUT.svg\n"
        "       svg-chart throughput SWEEP.tsv OUT.svg\n",
        stderr);
    return 2;
  }
  try {
    const charts::Table table = charts::parse_tsv(read_file(argv[2]));
    write_file(argv[3],
               kind == "latency" ? charts::latency_chart(table) : charts::throughput_chart(table));
  } catch (const std::exception& e) {
    std::cerr << "svg-chart: " << argv[2] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

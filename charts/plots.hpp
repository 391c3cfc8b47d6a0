// The two charts of docs/BENCHMARKS.md, drawn from the suite's results files:
//
//   latency_chart     results.tsv: per workload row, bars for p50, p90, p99 and p99.9 on a
//                     log axis (rows without latencies, such as idle, are left out)
//   throughput_chart  sweep.tsv: requests per second against concurrency, one line per
//                     value of the "series" column, the concurrency axis in powers of two
//
// Both return a whole SVG document and throw std::runtime_error when the table lacks a
// column they need or has nothing to draw.
#pragma once

#include <string>

#include "charts/table.hpp"

namespace charts {

std::string latency_chart(const Table& results);
std::string throughput_chart(const Table& sweep);

}  // namespace charts

// Report: what a run found, for a person (the summary) or a program (one JSON line).
//
// The summary gives counts, errors by kind with one sample message each, wall time,
// throughput, the latency percentiles and a small text histogram. The JSON line carries the
// same numbers and the settings that produced them, so a script can keep it as a record.
#pragma once

#include <ostream>
#include <string>

#include "client/options.hpp"
#include "client/stats.hpp"

namespace client {

struct RunResult {
  Stats stats;
  double wall_s = 0;
  // Successful requests per second of wall time: failures that come back fast (a refused
  // connect) must not look like throughput.
  double rps() const { return wall_s > 0 ? static_cast<double>(stats.ok) / wall_s : 0.0; }
};

void print_summary(std::ostream& out, const Options& options, const RunResult& result);
// Exactly one line, ending in '\n'.
void print_json(std::ostream& out, const Options& options, const RunResult& result);
// "  1234/4000 requests, 3 failed, 1234 req/s" for the live progress line.
std::string progress_line(std::uint64_t finished, std::uint64_t limit, std::uint64_t failed,
                          double elapsed_s);

}  // namespace client

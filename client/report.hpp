// Report: what a run found, for a person (the summary) or a program (one JSON line), and
// the book's lines that -v prints as the run goes.
//
// The summary gives counts, errors by kind with one sample message each, wall time,
// throughput, the latency percentiles and a small text histogram. The JSON line carries the
// same numbers and the settings that produced them, so a script can keep it as a record.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "client/options.hpp"
#include "client/stats.hpp"
#include "client/timeline.hpp"

namespace client {

struct RunResult {
  Stats stats;
  std::vector<Stats> by_target;     // options.targets' order, when there are several (load.hpp)
  std::uint64_t breaker_opens = 0;  // --breaker: how many times a target's circuit opened
  Timeline timeline;                // --svg: when the requests finished (load.hpp)
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

// The book's client prints these: a line per request as it finishes, in the order they
// finish, then the time the whole run took.
std::string book_result_line(std::string_view reply);   // "Result: Hello, client!"
std::string book_error_line(const ClientError& error);  // "Error: <message> (<kind>)"
std::string book_elapsed_line(double seconds);          // "Time elapsed in ... is: 1.052s"

}  // namespace client

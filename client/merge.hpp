// Merge: the runs of several clients, read back from the lines `bin/client --json` printed,
// added into one result that the report prints as it prints a single run
// (`bin/client --merge`, merge_command.hpp; docs/CLIENT.md).
//
// How each part adds up:
//   requests, ok, errors and retries by kind   summed
//   latency                                    the histograms summed bucket by bucket, and
//                                              every percentile read from that sum
//   per target                                 summed by the target's label
//   wall time                                  the longest run's: the runs are taken to have
//                                              run at the same time, so req/s is the total
//                                              ok over it
//   settings                                   the load's size (requests, concurrency,
//                                              threads, rate) summed, duration the longest;
//                                              the rest must agree
//
// Percentiles do not average: with one run all at 1 ms and another all at 9 ms, the mean of
// their p99s is 5 ms, a latency no request had. Summed histograms give the union's own
// percentiles, to the histogram's precision (histogram.hpp). A merged line has the shape of
// a run's, so merged results merge again, to the same result in any grouping.
#pragma once

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string_view>

#include "client/options.hpp"
#include "client/report.hpp"

namespace client {

// One finished run, or the sum of several.
struct RecordedRun {
  Options settings;  // as the run resolved them; targets are unique, in order of first sight
  // by_target has one Stats per settings.targets entry, also when there is one target
  // (then it is the whole run): the report prints the lines only for two or more.
  RunResult result;
};

// A line that is JSON but not a client's result; what() names the first key at fault.
class NotARun : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One line as `--json` prints it. A target named twice in the run is summed into one.
// Throws json::ParseError for text that is not JSON, NotARun for JSON that is not a run.
RecordedRun read_run(std::string_view line);

// Adds `run` to `total`, which starts as the first run. Throws std::invalid_argument, and
// leaves `total` as it was, if the two ran with settings that must agree and do not.
void add_run(RecordedRun& total, const RecordedRun& run);

// The summary (after a line saying how many runs it merges), or with `json` one line of
// the shape of a run's.
void print_merged(std::ostream& out, const RecordedRun& merged, std::size_t runs, bool json);

}  // namespace client

// The --svg chart: the run as one SVG file, for a person who would rather look than read,
// in two panels, one above the other:
//
//   latency          the share of the successful requests done within each latency, on a
//                    log axis, with p50, p90, p99 and p99.9 marked (the run's Histogram)
//   requests/s       the requests that finished in each slice of the run, ok and failed,
//                    against the time since the start (the run's Timeline)
//
// Drawn with the suite's chart code (charts/), from what the run counted anyway: the chart
// costs a run nothing but a counter per request (timeline.hpp).
#pragma once

#include <string>

#include "client/report.hpp"

namespace client {

// The whole SVG document. The titles of the two panels:
inline constexpr const char* kLatencyTitle = "Latency of successful requests";
inline constexpr const char* kRateTitle = "Requests per second over the run";
std::string run_chart(const RunResult& result);

}  // namespace client

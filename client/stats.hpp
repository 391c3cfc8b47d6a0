// Stats: what a run counts, the last step of every request's path. Each executor thread
// records into its own Stats (thread_load.hpp), with no locks; run_load merges them when the
// threads are done, and the report (report.hpp) prints the total.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/error.hpp"
#include "client/histogram.hpp"

namespace client {

struct Stats {
  std::uint64_t requests = 0;  // finished, successfully or not
  std::uint64_t ok = 0;
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::array<std::string, kErrorKinds> first_error;  // a sample message per kind, for humans
  std::uint64_t retried = 0;                         // requests that needed at least one retry
  // Retries by the kind of failure that caused them: a request retried twice counts twice.
  std::array<std::uint64_t, kErrorKinds> retries{};
  Histogram latency;  // successful requests only, in microseconds

  std::uint64_t failed() const { return requests - ok; }
  std::uint64_t errors_of(ErrorKind kind) const { return errors[static_cast<std::size_t>(kind)]; }
  std::uint64_t retries_of(ErrorKind kind) const { return retries[static_cast<std::size_t>(kind)]; }
  void merge(const Stats& other);
};

}  // namespace client

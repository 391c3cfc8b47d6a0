#include "client/stats.hpp"

namespace client {

void Stats::merge(const Stats& other) {
  requests += other.requests;
  ok += other.ok;
  retried += other.retried;
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    errors[i] += other.errors[i];
    retries[i] += other.retries[i];
    if (first_error[i].empty()) first_error[i] = other.first_error[i];
  }
  latency.merge(other.latency);
}

}  // namespace client

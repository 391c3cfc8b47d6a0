#include "client/thread_load.hpp"

#include <algorithm>
#include <chrono>

#include "client/report.hpp"
#include "runtime/sleep.hpp"

namespace client {

ThreadLoad::ThreadLoad(const Options& options, const std::vector<runtime::SocketAddress>& targets,
                       Dispenser& dispenser, const PrintLine& print_line, std::size_t thread,
                       std::size_t threads, Breakers* breakers)
    : options(options),
      targets(targets),
      dispenser(dispenser),
      timeouts{.connect = options.connect_timeout, .request = options.timeout},
      retry{.retries = options.retries},
      by_target(targets.size() > 1 ? targets.size() : 0),
      timeline(dispenser.start()),
      print_line_(print_line),
      breakers_(breakers),
      charting_(!options.svg.empty()),
      refused_(ErrorKind::kCircuitOpen, "not sent: the circuit opened after " +
                                            std::to_string(options.breaker) +
                                            " failed attempts in a row (--breaker)"),
      next_lane_(thread),
      threads_(threads),
      payload_(options.size, 'x') {}

std::size_t ThreadLoad::next_lane_target() {
  const std::size_t lane = next_lane_;
  next_lane_ += threads_;
  return target_of_lane(lane, targets.size());
}

data_layer::Data ThreadLoad::make_request(std::uint64_t index) {
  return data_layer::Data{static_cast<std::uint32_t>(index), static_cast<std::uint16_t>(index),
                          std::string(request_text(index))};
}

void ThreadLoad::add_request(std::uint64_t index, SentFrames& sent) {
  sent.add(static_cast<std::uint32_t>(index), static_cast<std::uint16_t>(index),
           request_text(index));
}

namespace {

void count_ok(Stats& stats, std::uint64_t latency_us) {
  ++stats.requests;
  ++stats.ok;
  stats.latency.record(latency_us);
}

void count_error(Stats& stats, const ClientError& error) {
  const auto kind = static_cast<std::size_t>(error.kind());
  ++stats.requests;
  ++stats.errors[kind];
  if (stats.first_error[kind].empty()) stats.first_error[kind] = error.what();
}

}  // namespace

void ThreadLoad::record_ok(Clock::time_point start, Clock::time_point now, std::string_view reply,
                           std::size_t target) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
  const auto latency_us = static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0));
  count_ok(stats, latency_us);
  if (!by_target.empty()) count_ok(by_target[target], latency_us);
  if (charting_) timeline.record(now, true);
  if (breakers_ != nullptr) (*breakers_)[target].succeeded();
  if (options.verbose) print_line_(book_result_line(reply));
}

void ThreadLoad::record_error(const ClientError& error, std::size_t target) {
  count(error, target);
  report_failure(target);
}

std::size_t ThreadLoad::admit(std::size_t target, std::size_t wanted) {
  return breakers_ == nullptr ? wanted : (*breakers_)[target].admit(Clock::now(), wanted);
}

void ThreadLoad::record_refused(std::size_t target) {
  count(refused_, target);
}

runtime::Task<void> ThreadLoad::after_refusal(std::size_t target) {
  // A limit of UINT64_MAX: closed loop, and only --duration's deadline ends the run.
  if (breakers_ == nullptr || dispenser.limit() != UINT64_MAX) co_return;
  const Clock::time_point now = Clock::now();
  co_await wait_for(std::min((*breakers_)[target].ask_again_at(now), *dispenser.deadline()));
}

bool ThreadLoad::may_retry(const ClientError& error, unsigned attempts) const {
  return error.kind() != ErrorKind::kMismatch && attempts <= retry.retries;
}

void ThreadLoad::count_retry(const ClientError& error, unsigned attempts, std::size_t target) {
  ++stats.retries[static_cast<std::size_t>(error.kind())];
  if (attempts == 1) ++stats.retried;
  report_failure(target);
}

void ThreadLoad::publish_progress() {
  dispenser.finished.fetch_add(stats.requests - published_.requests, std::memory_order_relaxed);
  dispenser.failed.fetch_add(stats.failed() - published_.failed, std::memory_order_relaxed);
  published_ = {stats.requests, stats.failed()};
}

// A request that ended in `error`, in the counts and, with -v, in the book's line.
void ThreadLoad::count(const ClientError& error, std::size_t target) {
  count_error(stats, error);
  if (!by_target.empty()) count_error(by_target[target], error);
  if (charting_) timeline.record(Clock::now(), false);
  if (options.verbose) print_line_(book_error_line(error));
}

void ThreadLoad::report_failure(std::size_t target) {
  if (breakers_ != nullptr) (*breakers_)[target].failed(Clock::now());
}

std::string_view ThreadLoad::request_text(std::uint64_t index) {
  return options.size > 0 ? std::string_view(payload_) : book_text_.of(index);
}

runtime::Task<void> wait_for(Clock::time_point scheduled) {
  if (scheduled > Clock::now()) co_await runtime::Sleep::until(scheduled);
}

}  // namespace client

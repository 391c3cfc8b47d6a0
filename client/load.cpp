#include "client/load.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "client/oneshot_lane.hpp"
#include "client/stream_lane.hpp"
#include "client/thread_load.hpp"
#include "runtime/executor.hpp"
#include "runtime/join_handle.hpp"

namespace client {

namespace {

using runtime::Task;

// Spawns the thread's lanes and waits for every one to finish.
Task<void> drive(ThreadLoad& load, std::size_t lanes) {
  std::vector<runtime::JoinHandle<void>> handles;
  handles.reserve(lanes);
  for (std::size_t i = 0; i < lanes; ++i) {
    handles.push_back(runtime::spawn(load.options.mode == Mode::kStream ? stream_lane(load)
                                                                        : oneshot_lane(load)));
  }
  // Awaited one after another: each handle wakes us only when its own task is done, so this
  // costs O(lanes) in all, not O(lanes) per wake-up as when_all would.
  for (auto& handle : handles)
    co_await handle;
}

struct ThreadStats {
  Stats total;
  std::vector<Stats> by_target;
  Timeline timeline;
};

ThreadStats run_thread(const Options& options, const std::vector<runtime::SocketAddress>& targets,
                       Dispenser& dispenser, const PrintLine& print_line, Breakers* breakers,
                       std::size_t thread, std::size_t threads, std::size_t lanes) {
  ThreadLoad load(options, targets, dispenser, print_line, thread, threads, breakers);
  {
    runtime::Executor executor;
    executor.block_on(drive(load, lanes));
  }
  return {std::move(load.stats), std::move(load.by_target), std::move(load.timeline)};
}

void merge_into(LoadStats& total, const ThreadStats& thread) {
  total.total.merge(thread.total);
  if (total.by_target.size() < thread.by_target.size())
    total.by_target.resize(thread.by_target.size());
  for (std::size_t i = 0; i < thread.by_target.size(); ++i)
    total.by_target[i].merge(thread.by_target[i]);
  total.timeline.merge(thread.timeline);
}

}  // namespace

LoadStats run_load(const Options& options, const std::vector<runtime::SocketAddress>& targets,
                   Dispenser& dispenser, const PrintLine& print_line) {
  const std::size_t threads = std::max<std::size_t>(options.threads, 1);
  Breakers breakers;
  if (options.breaker > 0) {
    for (std::size_t t = 0; t < targets.size(); ++t)
      breakers.emplace_back(options.breaker, options.breaker_cooldown);
  }
  Breakers* const shared = breakers.empty() ? nullptr : &breakers;
  std::vector<ThreadStats> per_thread(threads);
  // A thread cannot throw to its creator: what escapes a thread is carried over and rethrown
  // here once every thread is joined.
  std::vector<std::exception_ptr> escaped(threads);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    // Lane l runs on thread l % threads: shares differ by one at most.
    const std::size_t lanes = options.concurrency / threads + (t < options.concurrency % threads);
    pool.emplace_back([&, t, lanes] {
      try {
        per_thread[t] =
            run_thread(options, targets, dispenser, print_line, shared, t, threads, lanes);
      } catch (...) {
        escaped[t] = std::current_exception();
      }
    });
  }
  LoadStats total;
  total.timeline = Timeline(dispenser.start());
  for (std::size_t t = 0; t < threads; ++t) {
    pool[t].join();
    merge_into(total, per_thread[t]);
  }
  for (const auto& error : escaped)
    if (error) std::rethrow_exception(error);
  for (const Breaker& breaker : breakers)
    total.breaker_opens += breaker.opened();
  return total;
}

}  // namespace client

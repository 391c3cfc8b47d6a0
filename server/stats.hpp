// Stats and Summary: what the server counts, and what it reports when it stops.
//
// Each worker owns one Stats and is the only thread that touches it (its handlers run on
// it), so counting needs no lock; the dispatcher has its own for accept errors. Server::wait()
// reads them after joining the threads, which orders every write before the read, and
// merges them into one Summary: connections served per worker and errors by kind.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace server {

// Error kinds are short fixed names, safe as metric keys: the data_layer's decode kinds
// ("too_long", "invalid_utf8", "truncated"), those in handler.hpp and dispatcher.hpp, and
// "cut_by_shutdown" (worker.cpp: connections still open when the grace period ran out) and
// "worker_failed" (worker.cpp: a worker whose runtime failed).
using ErrorCounts = std::map<std::string, std::uint64_t, std::less<>>;

struct Stats {
  std::uint64_t connections = 0;  // handed to this worker and served (or begun)
  ErrorCounts errors;

  void count_error(std::string_view kind, std::uint64_t count = 1);
};

struct Summary {
  std::vector<std::uint64_t> connections_per_worker;  // index i: worker_name(i)
  ErrorCounts errors;
  // Threads whose runtime failed ("Two", "dispatcher"): the server exits 1 if any did.
  std::vector<std::string> failed_threads;

  std::uint64_t connections() const;
  std::uint64_t errors_of(std::string_view kind) const;
  // "30 connections (One 10, Two 10, Three 10); errors: none", then "; failed: Two" if so
  std::string to_string() const;
};

// The book's worker names: "One", "Two", "Three", ... and "Worker 11" past ten.
std::string worker_name(std::size_t index);

}  // namespace server

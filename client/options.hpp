// Options: the client's command line, parsed into one value the rest of the program reads.
//
// Bad usage is a UsageError (the binary prints it and exits 2); nothing here touches the
// network. Defaults reproduce the book's client: 4000 oneshot requests, all in flight at
// once, against 127.0.0.1:7878.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/flags.hpp"
#include "client/targets.hpp"
#include "data_layer/exchange_mode.hpp"

namespace client {

using cli::UsageError;   // what parse_options throws for a bad command line
using data_layer::Mode;  // the two exchange modes of docs/PROTOCOL.md

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;
  // --target, in order; resolve() makes it {host:port} when none was given, so the run
  // always has at least one. With --target, host and port are the first one's.
  std::vector<Target> targets;
  bool host_or_port_given = false;  // --target replaces both: giving both is a usage error
  Mode mode = Mode::kOneshot;
  std::uint64_t requests = 4000;
  bool requests_given = false;  // with --duration, an explicit --requests still caps the run
  // Oneshot: requests in flight at once; stream: connections. 0 until resolve() picks the
  // mode's default (every request, or 32 connections).
  std::size_t concurrency = 0;
  std::size_t pipeline = 1;  // stream: requests in flight per connection
  std::size_t size = 0;      // field3 of this many bytes; 0 keeps "Hello, server! i"
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
  unsigned retries = 0;
  // --breaker: failed attempts in a row that open a target's circuit (breaker.hpp); 0 is off.
  unsigned breaker = 0;
  std::chrono::milliseconds breaker_cooldown{1000};  // how long an open circuit refuses
  // Given without --breaker it would do nothing, which is a usage error.
  bool breaker_cooldown_given = false;
  double rate = 0;        // requests started per second (open loop); 0 is closed loop
  double duration_s = 0;  // run for this long instead of a count; 0 is off
  // Executor threads. 0 until resolve() picks one per core: one thread, opening connections
  // as fast as the kernel lets it, cannot keep up with a server on several cores.
  unsigned threads = 0;
  std::string svg;  // --svg: where to write the run's chart (chart.hpp); empty is off
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  bool help = false;
};

// `args` excludes the program name. Accepts "--flag value" and "--flag=value".
Options parse_options(std::span<const std::string> args);

// Fills in the defaults that depend on other flags (concurrency), and caps what cannot be
// used (more lanes than requests, more threads than lanes).
Options resolve(Options options);

std::string usage();

}  // namespace client

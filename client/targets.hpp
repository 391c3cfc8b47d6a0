// Targets: the servers a run spreads its connections over (--target HOST:PORT, given several
// times or as a comma list). Parsed here with the rest of the command line; resolved once,
// before the run, like --host; and the round-robin rule that picks a target for each
// connection, so that the split is exact and needs no counter shared between threads:
//
//   oneshot  request i connects to target i % N (the dispenser's numbers are already shared)
//   stream   lane l's connection goes to target l % N, and so does its reconnect after a
//            failure: a lane stays with its server
//
// Without --target the run has one target, --host:--port, and nothing else changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/socket_address.hpp"

namespace client {

struct Target {
  std::string host;  // a name or a numeric address; an IPv6 address without its brackets
  std::uint16_t port = 0;
  // "host:port", or "[::1]:port" for an IPv6 address: how the report names the target.
  std::string label() const;
};

// One --target value: "HOST:PORT", "[IPV6]:PORT", or several of them separated by commas,
// appended to `into` in order. Duplicates are kept (a server named twice gets two shares).
// Throws cli::UsageError naming the part that is wrong.
void add_targets(std::string_view list, std::vector<Target>& into);

// Every target's address, in order. Throws std::invalid_argument naming the target that
// does not resolve. A blocking lookup: call it before the run, not from a task.
std::vector<runtime::SocketAddress> resolve_targets(const std::vector<Target>& targets);

// The target of oneshot request `index`, of `targets` (at least one).
inline std::size_t target_of_request(std::uint64_t index, std::size_t targets) {
  return static_cast<std::size_t>(index % targets);
}

// The target of stream lane `lane` (numbered over every thread, as load.hpp spreads them).
inline std::size_t target_of_lane(std::size_t lane, std::size_t targets) {
  return lane % targets;
}

}  // namespace client

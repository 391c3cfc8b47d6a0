// Connection: what the dispatcher hands a worker for each accepted socket.
//
// It owns everything the connection holds on the server: the socket, and the permit that
// counts it against --max-connections. Whoever holds it last releases both just by letting
// it go: the handler when the exchange ends, the worker's inbox if a forced shutdown drops
// it unserved. So neither an fd nor a permit can leak on any path.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/semaphore.hpp"
#include "runtime/socket.hpp"

namespace server {

struct Connection {
  std::uint64_t id = 0;  // accept order, for log lines ("#17")
  // Not yet registered with any reactor: the worker's thread registers it on first wait.
  runtime::Socket socket;
  runtime::Semaphore::Permit permit;
};

// "#17 127.0.0.1:5555", for log lines; just "#17" if the peer reset before we asked.
std::string describe(const Connection& connection);

}  // namespace server

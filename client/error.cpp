#include "client/error.hpp"

namespace client {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kRead:
      return "read";
    case ErrorKind::kWrite:
      return "write";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kMismatch:
      return "mismatch";
    case ErrorKind::kCircuitOpen:
      return "circuit_open";
  }
  return "unknown";
}

ClientError timed_out(std::string_view what, std::chrono::milliseconds limit) {
  return ClientError(ErrorKind::kTimeout,
                     std::string(what) + " within " + std::to_string(limit.count()) + " ms");
}

}  // namespace client

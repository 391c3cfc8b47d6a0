// The client's errors: every failed request is one ClientError, and its kind says which
// step failed, so a report can tell a server that refuses connections from one that
// answers wrongly.
//
// Where each kind comes from in a request's path:
//   connect   the TCP handshake failed or timed out (after any retries)
//   timeout   no (complete) reply within --timeout-ms
//   read      reading failed, or the server closed before replying
//   write     writing the request failed (the peer reset or closed)
//   protocol  the reply broke PROTOCOL.md (a malformed frame, an oversized greeting)
//   mismatch  a well-formed reply that is not the one owed (wrong greeting, wrong echo)
//   circuit_open  not sent: --breaker's circuit to the target was open (breaker.hpp)
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace client {

enum class ErrorKind { kConnect, kTimeout, kRead, kWrite, kProtocol, kMismatch, kCircuitOpen };

inline constexpr std::size_t kErrorKinds = 7;

// The short names used in the summary and as JSON keys; they never change.
std::string_view to_string(ErrorKind kind);

inline constexpr std::array<ErrorKind, kErrorKinds> kAllErrorKinds = {
    ErrorKind::kConnect,  ErrorKind::kTimeout,  ErrorKind::kRead,       ErrorKind::kWrite,
    ErrorKind::kProtocol, ErrorKind::kMismatch, ErrorKind::kCircuitOpen};

class ClientError : public std::runtime_error {
 public:
  ClientError(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  // What the runtime threw at a step, as "step: reason" ("write: Broken pipe").
  ClientError(ErrorKind kind, std::string_view step, const std::exception& cause)
      : ClientError(kind, std::string(step) + ": " + cause.what()) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// A kTimeout that says what did not happen in time: "<what> within <limit> ms".
ClientError timed_out(std::string_view what, std::chrono::milliseconds limit);

}  // namespace client

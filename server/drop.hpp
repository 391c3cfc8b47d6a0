// Dropping a connection: the one place a failed connection is reported, for every handler.
//
// A bad peer costs only its own connection: every failure of a handler ends in
// report_drop(), is logged once at warn with its reason, and is counted under one of these
// kinds:
//   too_long, invalid_utf8, truncated   a malformed frame (data_layer's kinds)
//   idle_timeout    the peer sent nothing for --idle-timeout-ms while we waited to read
//   write_timeout   the peer took none of our reply for --idle-timeout-ms (never reads)
//   reset, broken_pipe, io              the connection failed (ECONNRESET, EPIPE, other)
//   internal        anything else (a bug of ours: the message says what)
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/stats.hpp"

namespace server {

// A connection we drop for a reason of our own (a timeout), not a FrameError or I/O error.
class Dropped : public std::runtime_error {
 public:
  Dropped(std::string_view kind, const std::string& reason)
      : std::runtime_error(reason), kind_(kind) {}
  std::string_view kind() const { return kind_; }

 private:
  std::string_view kind_;
};

Dropped idle_timeout(const Config& config);   // the peer sent nothing in time
Dropped write_timeout(const Config& config);  // the peer took none of its reply in time

// Logs and counts `error`, which ended `connection`.
void report_drop(std::exception_ptr error, const Connection& connection, Stats& stats);

}  // namespace server

#include "server/drop.hpp"

#include <cerrno>
#include <system_error>

#include "runtime/tcp_receiver.hpp"
#include "server/log.hpp"

namespace server {
namespace {

std::string_view kind_of(const std::error_code& code) {
  if (code.value() == ECONNRESET) return "reset";
  if (code.value() == EPIPE) return "broken_pipe";
  return "io";
}

}  // namespace

Dropped idle_timeout(const Config& config) {
  return Dropped("idle_timeout",
                 "peer sent nothing for " + std::to_string(config.idle_timeout.count()) + " ms");
}

Dropped write_timeout(const Config& config) {
  return Dropped("write_timeout", "peer took none of its reply for " +
                                      std::to_string(config.idle_timeout.count()) + " ms");
}

void report_drop(std::exception_ptr error, const Connection& connection, Stats& stats) {
  std::string_view kind = "internal";
  std::string reason;
  try {
    std::rethrow_exception(error);
  } catch (const runtime::FrameError& e) {
    kind = data_layer::to_string(e.error().kind);
    reason = e.what();
  } catch (const Dropped& e) {
    kind = e.kind();
    reason = e.what();
  } catch (const std::system_error& e) {
    kind = kind_of(e.code());
    reason = e.what();
  } catch (const std::exception& e) {
    reason = e.what();
  }
  stats.count_error(kind);
  if (log_enabled(LogLevel::kWarn)) {
    log_warn(describe(connection) + " dropped (" + std::string(kind) + "): " + reason);
  }
}

}  // namespace server

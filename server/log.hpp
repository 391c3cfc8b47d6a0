// Log: the server's leveled, thread-safe event log, one line per event on stderr.
//
// Every thread of the server writes here: the dispatcher (accept errors, shutdown), the
// workers (a dropped connection and its reason) and, at debug level, the book's lines
// ("One Received connection: ...", "Two is sleeping") that let a reader watch dispatch.
// A line is formatted first and written with one call under a lock, so lines from
// different threads never interleave. Check log_enabled() before building an expensive
// message: the debug lines sit on the per-connection path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace server {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

// "error", "warn", "info" or "debug"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

// Process-wide: main() sets it once from --log-level; tests lower it to keep output short.
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

// The name printed in this thread's lines ("One", "Two", "dispatcher"), given to the
// thread itself too.
void set_thread_name(std::string name);

// Writes "LEVEL [thread] message" if `level` is enabled.
void log(LogLevel level, std::string_view message);

inline void log_error(std::string_view message) {
  log(LogLevel::kError, message);
}
inline void log_warn(std::string_view message) {
  log(LogLevel::kWarn, message);
}
inline void log_info(std::string_view message) {
  log(LogLevel::kInfo, message);
}
inline void log_debug(std::string_view message) {
  log(LogLevel::kDebug, message);
}

}  // namespace server

#include "server/log.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace server {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_write_mutex;
thread_local std::string t_thread_name = "main";

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "?";
}

void set_log_level(LogLevel level) {
  g_level.store(level, std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) {
  return level <= g_level.load(std::memory_order_relaxed);
}

void set_thread_name(std::string name) {
#ifdef __linux__
  // The system's name too (at most 15 characters), for top -H, gdb, and the fault shim's
  // FAULT_BREAK.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
#endif
  t_thread_name = std::move(name);
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 32);
  line.append(to_string(level)).append(" [").append(t_thread_name).append("] ");
  line.append(message).push_back('\n');
  // One write(2) per line: stderr is unbuffered, and the lock keeps lines whole.
  std::lock_guard lock(g_write_mutex);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;  // nowhere to report a failing stderr
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace server

#include "runtime/fd_limit.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace runtime {

std::size_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
}

void reserve_fd_table(std::size_t count) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const std::size_t allowed =
      limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
  const std::size_t top = std::min({count, allowed, std::size_t{INT32_MAX}});
  if (top < 2) return;
  const int source = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (source < 0) return;
  // F_DUPFD, not dup2: it takes the lowest free number from top - 1 up, so it never closes
  // a descriptor that happens to be open there. Holding it for a moment grows the table.
  const int high = ::fcntl(source, F_DUPFD_CLOEXEC, static_cast<int>(top - 1));
  if (high >= 0) ::close(high);
  ::close(source);
}

}  // namespace runtime

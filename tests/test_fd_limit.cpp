// The open-file limit and the descriptor table (runtime/fd_limit.hpp): the server and the
// client raise the limit, and grow the table before their threads exist, so that a burst
// of connections never waits for the kernel to grow it.
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>

#include "runtime/fd_limit.hpp"

namespace {

std::size_t soft_limit() {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limit.rlim_cur);
}

// The size of this process's descriptor table, as the kernel reports it.
std::size_t table_size() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("FDSize:", 0) == 0) return std::stoul(line.substr(7));
  }
  FAIL("no FDSize in /proc/self/status");
  return 0;
}

std::size_t open_fds() {
  std::size_t count = 0;
  DIR* dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (readdir(dir) != nullptr)
    ++count;
  closedir(dir);
  return count;
}

}  // namespace

TEST_CASE("fd limit: the soft limit is raised to the hard one, and reported") {
  const std::size_t allowed = runtime::raise_fd_limit();
  CHECK(allowed == soft_limit());
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  CHECK(limit.rlim_cur == limit.rlim_max);
}

TEST_CASE("fd limit: reserving grows the descriptor table and leaves no descriptor open") {
  // More than the tests open by themselves, and within any limit a machine has.
  const std::size_t wanted = std::min<std::size_t>(soft_limit(), 8192);
  const std::size_t before = open_fds();
  runtime::reserve_fd_table(wanted);
  CHECK(table_size() >= wanted);
  CHECK(open_fds() == before);
  runtime::reserve_fd_table(SIZE_MAX);  // past the limit: capped, not an error
  CHECK(open_fds() == before);
}

TEST_CASE("fd limit: reserving never closes a descriptor that is open at the top") {
  const std::size_t wanted = std::min<std::size_t>(soft_limit(), 4096);
  const int top = static_cast<int>(wanted) - 1;
  const int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(file >= 0);
  REQUIRE(::dup2(file, top) == top);  // a descriptor of ours where the reserve would go
  runtime::reserve_fd_table(wanted);
  struct stat held {};
  CHECK(::fstat(top, &held) == 0);  // still open: dup2 would have closed it
  ::close(top);
  ::close(file);
}

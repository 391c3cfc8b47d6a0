// JoinHandle::abort (join_handle.hpp, detail/task_header.hpp): the task's frame is destroyed
// at its next suspension point on its own executor's thread, what it held is released, and
// awaiting the handle reports TaskAborted; from any thread, any number of times.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/tcp_listener.hpp"
#include "runtime/yield_now.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using runtime::Executor;
using runtime::JoinHandle;
using runtime::Task;
using runtime::TaskAborted;

namespace {

// Sets its flag when destroyed: proof that the frame holding it is gone, and on which thread.
struct Guard {
  explicit Guard(std::atomic<bool>* dropped) : dropped(dropped) {}
  Guard(const Guard&) = delete;
  ~Guard() {
    dropped_on = std::this_thread::get_id();
    dropped->store(true);
  }
  std::atomic<bool>* dropped;
  static inline std::thread::id dropped_on;
};

Task<int> sleep_for_an_hour(std::atomic<bool>* dropped, std::atomic<bool>* asleep = nullptr) {
  Guard guard(dropped);
  if (asleep) asleep->store(true);  // set just before the task's first suspension
  co_await runtime::Sleep(1h);
  co_return 1;
}

Task<int> started_flag(bool* started) {
  *started = true;
  co_return 2;
}

// Listens on a port the kernel picks, then waits for a connection that never comes.
Task<> accept_for_ever(std::uint16_t* port) {
  auto listener = runtime::TcpListener::bind(runtime::SocketAddress::resolve("127.0.0.1", 0));
  *port = listener.local_address().port();
  (void)co_await listener.accept();
}

// Awaits a handle and says whether it reported the abort.
Task<bool> reports_aborted(JoinHandle<int>& handle) {
  try {
    (void)co_await handle;
  } catch (const TaskAborted&) {
    co_return true;
  }
  co_return false;
}

bool connect_refused(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int result = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  return result == -1 && error == ECONNREFUSED;
}

}  // namespace

TEST_CASE("abort: a sleeping task's frame is destroyed, its timer removed, and await reports it") {
  Executor executor;
  std::atomic<bool> dropped{false};
  JoinHandle<int> handle = executor.spawn(sleep_for_an_hour(&dropped));
  executor.block_on(runtime::yield_now());  // the task now waits in its Sleep
  CHECK(executor.reactor().timers() == 1);

  handle.abort();
  CHECK_FALSE(dropped);  // not here, on the caller's stack: at the task's next poll
  CHECK(executor.block_on(reports_aborted(handle)));
  CHECK(dropped);
  CHECK(Guard::dropped_on == std::this_thread::get_id());  // the executor's thread
  CHECK(executor.reactor().timers() == 0);
  CHECK(executor.tasks_alive() == 0);
  CHECK_THROWS_AS((void)handle.get(), TaskAborted);  // and again: the handle stays valid
}

TEST_CASE("abort: the socket an aborted task waits on is closed") {
  Executor executor;
  std::uint16_t port = 0;
  JoinHandle<void> handle = executor.spawn(accept_for_ever(&port));
  executor.block_on(runtime::yield_now());
  REQUIRE(port != 0);
  CHECK(executor.reactor().fds_waited_on() == 1);

  handle.abort();
  executor.run();  // until no task is alive: the aborted one is gone
  CHECK(executor.reactor().fds_waited_on() == 0);
  CHECK(connect_refused(port));  // nobody listens there any more
  CHECK_THROWS_AS(handle.get(), TaskAborted);
}

TEST_CASE("abort: from another thread, while the executor is parked") {
  Executor executor;
  std::atomic<bool> dropped{false};
  std::atomic<bool> asleep{false};
  JoinHandle<int> handle = executor.spawn(sleep_for_an_hour(&dropped, &asleep));
  std::thread::id executor_thread;
  test::JoinedThread worker("the executor, until the aborted task is gone", [&] {
    executor_thread = std::this_thread::get_id();
    executor.run();
  });
  REQUIRE(test::spin_until([&] { return asleep.load(); }));  // so the frame exists to destroy
  handle.abort();
  CHECK_THROWS_AS(test::bounded("get() on an aborted task", [&] { return handle.get(); }),
                  TaskAborted);
  worker.join();
  CHECK(dropped);
  CHECK(Guard::dropped_on == executor_thread);
}

TEST_CASE("abort: a task aborted before its first poll never runs its body") {
  Executor executor;
  bool started = false;
  JoinHandle<int> handle = executor.spawn(started_flag(&started));
  handle.abort();
  executor.run();
  CHECK_FALSE(started);
  CHECK_THROWS_AS((void)handle.get(), TaskAborted);
}

TEST_CASE("abort: a finished task keeps its output") {
  Executor executor;
  bool started = false;
  JoinHandle<int> handle = executor.spawn(started_flag(&started));
  executor.run();
  handle.abort();
  handle.abort();
  CHECK(handle.get() == 2);
}

TEST_CASE("abort: twice, then dropping the handle, still destroys the frame once") {
  Executor executor;
  std::atomic<bool> dropped{false};
  {
    JoinHandle<int> handle = executor.spawn(sleep_for_an_hour(&dropped));
    executor.block_on(runtime::yield_now());
    handle.abort();
    handle.abort();
  }  // detached after the abort: nobody will hear "aborted", and nothing is printed
  executor.run();
  CHECK(dropped);
  CHECK(executor.tasks_alive() == 0);
}

TEST_CASE("abort: asked for, then the executor shut down first: still reported as aborted") {
  auto executor = std::make_unique<Executor>();
  std::atomic<bool> dropped{false};
  JoinHandle<int> handle = executor->spawn(sleep_for_an_hour(&dropped));
  executor->block_on(runtime::yield_now());
  handle.abort();
  executor.reset();
  CHECK(dropped);
  CHECK_THROWS_AS((void)handle.get(), TaskAborted);
}

TEST_CASE("abort: one task aborts another on the same executor and awaits it") {
  Executor executor;
  std::atomic<bool> dropped{false};
  const bool aborted = executor.block_on([](std::atomic<bool>* dropped) -> Task<bool> {
    JoinHandle<int> sleeper = runtime::spawn(sleep_for_an_hour(dropped));
    co_await runtime::yield_now();  // let it start sleeping
    sleeper.abort();
    co_return co_await reports_aborted(sleeper);
  }(&dropped));
  CHECK(aborted);
  CHECK(dropped);
  CHECK(executor.reactor().timers() == 0);
}

TEST_CASE("abort: from another thread while the task is being polled again and again") {
  Executor executor;
  std::atomic<int> polls{0};
  JoinHandle<int> handle = executor.spawn([](std::atomic<int>* polls) -> Task<int> {
    for (;;) {
      polls->fetch_add(1);
      co_await runtime::yield_now();  // always woken: the abort lands mid-poll or between
    }
  }(&polls));
  test::JoinedThread worker("the executor, until the busy task is aborted",
                            [&] { executor.run(); });
  CHECK(test::spin_until([&] { return polls.load() > 100; }));
  handle.abort();
  CHECK_THROWS_AS(test::bounded("get() on the busy task", [&] { return handle.get(); }),
                  TaskAborted);
  worker.join();
}

// Abort (Tokio's JoinHandle::abort): stop a spawned task from outside. Its frame is
// destroyed at its next suspension point, on its own executor's thread, so what it held
// (here a one-hour timer) is released there; awaiting it then reports TaskAborted. The
// abort comes from another thread while the executor is parked.
#include <chrono>
#include <cstdio>
#include <thread>

#include "runtime/executor.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"

using namespace std::chrono_literals;

runtime::Task<int> nap() {
  std::printf("abort: the task starts a one-hour sleep\n");
  co_await runtime::Sleep(1h);
  std::printf("abort: the task woke up (it should not have)\n");
  co_return 1;
}

int main() {
  runtime::Executor executor;
  runtime::JoinHandle<int> handle = executor.spawn(nap());
  std::thread runner([&] { executor.run(); });  // parks in the reactor: a timer is due in 1 h

  std::this_thread::sleep_for(20ms);  // only so that the print below comes after the task's
  std::printf("abort: another thread aborts it\n");
  handle.abort();
  bool aborted = false;
  try {
    (void)handle.get();
  } catch (const runtime::TaskAborted& error) {
    aborted = true;
    std::printf("abort: awaiting the handle says \"%s\"\n", error.what());
  }
  runner.join();  // run() returned: no task alive
  std::printf("abort: tasks alive: %zu, timers left: %zu\n", executor.tasks_alive(),
              executor.reactor().timers());
  return aborted && executor.reactor().timers() == 0 ? 0 : 1;
}

// Decorator: Logged forwards every poll and its answer unchanged, and writes one line per
// poll and one on completion; decorate() is the future itself unless the build asks for
// the logging (make LOG_POLLS=1), so that it costs nothing by default.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <type_traits>

#include "runtime/decorator.hpp"
#include "runtime/task.hpp"
#include "tests/test_harness.hpp"

namespace {

runtime::Task<int> after(test::Signal signal) {
  co_await signal.wait();
  co_return 42;
}

}  // namespace

TEST_CASE("decorator: Logged forwards the polls and says what each answered") {
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&text, &size);
  REQUIRE(out != nullptr);
  test::Signal signal;
  {
    test::Stepper logged(runtime::Logged("answer", after(signal), out));
    CHECK(logged.poll().is_pending());  // the Stepper checks the wake contract held
    signal.notify();
    CHECK(logged.wakes_since_poll() == 1);  // the task's waker, woken through the wrapper
    auto done = logged.poll();
    REQUIRE(done.is_ready());
    CHECK(std::move(done).value() == 42);
  }
  std::fclose(out);
  const std::string said(text, size);
  std::free(text);
  CHECK(said.find("poll answer #1: pending\n") == 0);
  CHECK(said.find("poll answer #2: ready (2 polls, ") != std::string::npos);
}

TEST_CASE("decorator: decorate() is the future itself unless LOG_POLLS asks for the wrapper") {
  using Decorated = decltype(runtime::decorate("x", after(test::Signal())));
#ifdef RUNTIME_LOG_POLLS
  CHECK(std::is_same_v<Decorated, runtime::Logged<runtime::Task<int>>>);
#else
  CHECK(std::is_same_v<Decorated, runtime::Task<int>>);
#endif
}

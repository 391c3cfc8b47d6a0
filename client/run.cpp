#include "client/run.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "client/chart.hpp"
#include "client/load.hpp"
#include "client/merge_command.hpp"
#include "client/options.hpp"
#include "client/report.hpp"
#include "runtime/fd_limit.hpp"

namespace client {

namespace {

// Descriptors the process needs besides one socket per lane: stdio, one epoll fd and one
// wake-up fd per executor thread, and slack for the C library.
constexpr std::size_t kSpareFds = 64;

// One socket per lane must fit under the limit; better fewer lanes than a run that fails
// with EMFILE halfway through.
void fit_concurrency(Options& options, std::ostream& err) {
  const std::size_t allowed = runtime::raise_fd_limit();
  const std::size_t room =
      allowed > kSpareFds + options.threads * 2 ? allowed - kSpareFds - options.threads * 2 : 1;
  if (options.concurrency <= room) return;
  err << "client: warning: --concurrency " << options.concurrency << " needs more open files than"
      << " the limit of " << allowed << " allows (see ulimit -n); using " << room << "\n";
  options.concurrency = room;
  options.threads = static_cast<unsigned>(std::min<std::size_t>(options.threads, room));
}

// A stream that several threads write while the load runs: the progress thread draws its
// line on stderr, and every executor thread may print a -v line, which --json sends to
// stderr too. Two writers of one stream need one lock, and this is its only home: each
// write is whole, so a progress line never lands inside a -v line, and the stream's own
// state (an std::ostringstream's, in the tests) is never written by two threads at once.
// (test_client: "the progress line and the -v lines take turns on stderr", under TSan)
class LockedStream {
 public:
  explicit LockedStream(std::ostream& stream) : stream_(stream) {}
  // One of the book's -v lines, and its newline.
  void line(std::string_view text) {
    std::lock_guard lock(mutex_);
    stream_ << text << '\n';
  }
  // Written and flushed at once: the progress line is redrawn in place.
  void draw(std::string_view text) {
    std::lock_guard lock(mutex_);
    stream_ << text << std::flush;
  }

 private:
  std::ostream& stream_;
  std::mutex mutex_;
};

// The live line on stderr: redrawn four times a second once the run passes one second, so
// short runs (and the tests) never see it. Waits on a condition variable, not a sleep, so
// it stops the moment the load does. Its lock guards only done_; what it writes goes
// through the stream's (LockedStream).
class Progress {
 public:
  Progress(bool enabled, LockedStream& err, const Dispenser& dispenser, Clock::time_point start)
      : err_(err), dispenser_(dispenser), start_(start) {
    if (enabled) thread_ = std::thread([this] { loop(); });
  }
  ~Progress() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    bool drawn = false;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return done_; })) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
      if (elapsed < 1.0) continue;
      err_.draw("\r" +
                progress_line(dispenser_.finished.load(), dispenser_.limit(),
                              dispenser_.failed.load(), elapsed) +
                "\033[K");
      drawn = true;
    }
    if (drawn) err_.draw("\r\033[K");  // the summary starts on a clean line
  }

  LockedStream& err_;
  const Dispenser& dispenser_;
  Clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

// --svg's file, opened before the run, so that a path that cannot be written is bad usage at
// once rather than a chart lost at the end of a long run. False, with the reason on `err`,
// if it cannot be opened.
bool open_chart(const Options& options, std::ofstream& file, std::ostream& err) {
  if (options.svg.empty()) return true;
  file.open(options.svg, std::ios::binary | std::ios::trunc);
  if (file) return true;
  err << "client: --svg " << options.svg << ": cannot write it: " << std::strerror(errno) << "\n";
  return false;
}

// The chart, into the file open_chart() opened; false, with the reason on `err`, if the
// write fails (a full disk).
bool write_chart(const Options& options, const RunResult& result, std::ofstream& file,
                 std::ostream& err) {
  file << run_chart(result);
  if (file.flush()) return true;
  err << "client: --svg " << options.svg << ": the chart could not be written\n";
  return false;
}

int run_parsed(Options options, Output output) {
  std::vector<runtime::SocketAddress> targets;
  try {
    targets = resolve_targets(options.targets);
  } catch (const std::invalid_argument& error) {
    output.err << "client: " << error.what() << "\n";
    return 2;
  }
  std::ofstream chart;
  if (!open_chart(options, chart, output.err)) return 2;
  fit_concurrency(options, output.err);
  // Before the executor threads exist (runtime/fd_limit.hpp says why).
  runtime::reserve_fd_table(options.concurrency + kSpareFds + options.threads * 2);
  // -v lines go where the summary would, except that --json keeps stdout to its one line.
  LockedStream out(output.out), err(output.err);
  LockedStream& lines = options.json ? err : out;
  const PrintLine print_line = [&lines](const std::string& line) { lines.line(line); };
  const Clock::time_point start = Clock::now();
  Dispenser dispenser(options, start);
  RunResult result;
  {
    Progress progress(output.progress && !options.quiet, err, dispenser, start);
    LoadStats load = run_load(options, targets, dispenser, print_line);
    result.stats = std::move(load.total);
    result.by_target = std::move(load.by_target);
    result.breaker_opens = load.breaker_opens;
    result.timeline = std::move(load.timeline);
  }
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (options.verbose) print_line(book_elapsed_line(result.wall_s));
  if (options.json) {
    print_json(output.out, options, result);
  } else if (!options.quiet) {
    print_summary(output.out, options, result);
  }
  if (chart.is_open() && !write_chart(options, result, chart, output.err)) return 2;
  return result.stats.failed() == 0 ? 0 : 1;
}

}  // namespace

int run(std::span<const std::string> args, Output output) {
  Options options;
  std::optional<MergeCommand> merge;  // --merge: combine finished runs instead of making one
  try {
    merge = parse_merge_command(args);
    if (!merge) options = resolve(parse_options(args));
  } catch (const UsageError& error) {
    output.err << "client: " << error.what() << "\n(client --help lists the options)\n";
    return 2;
  }
  if (merge) return run_merge(*merge, std::cin, output.out, output.err);
  if (options.help) {
    output.out << usage();
    return 0;
  }
  return run_parsed(std::move(options), output);
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return run(args, Output{std::cout, std::cerr, isatty(STDERR_FILENO) == 1});
}

}  // namespace client

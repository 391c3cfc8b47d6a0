// libfaults.so: a fault injector for `make faults` (scripts/faults.sh, docs/SOAK.md,
// "Faults"). Preloaded into the server and its clients (LD_PRELOAD), it stands in front of
// libc's recv, send, accept4, connect, epoll_wait, poll, read and write, and now and then
// answers for them with EINTR, EAGAIN, a short read or write, a connection reset or EMFILE,
// as a kernel under load, a signal or a failing peer can. fault_plan.hpp decides which
// call gets which fault; this file makes each fault happen and counts it. A test tool, not
// part of the library; it needs libc and libdl only.
//
// Every fault is one a correct program must survive and that costs it nothing it could
// not lose for real, so whatever goes wrong under it is the program's fault:
//   eintr   any wrapped call (read and write: only on a wake-up fd, an eventfd or a
//           non-blocking pipe) fails with EINTR before doing anything: retry it. Except
//           connect, which POSIX lets go on after the interruption: the real connect is
//           made, and EINTR stands for its EINPROGRESS or its success (asking again
//           answers EALREADY or EISCONN).
//   eagain  recv, send or accept4 on a non-blocking socket fails with EAGAIN, and the
//           socket is re-armed in its epoll set (fault_plan.hpp, rearm), so the edge a
//           waiting reader or writer needs does come, as it would for bytes that arrived
//           just after the call.
//   short   recv or send is asked for fewer bytes than the caller's (1 to size - 1, at
//           most kShortCap); a call that got all it asked is re-armed, as bytes are left.
//           A recv gets neither of these once the peer's FIN is queued: then a real recv
//           never finds less than there is, and readers may count on it (stream_open).
//   reset   recv or send on a connected TCP socket: the connection is reset for real first
//           (fault_plan.hpp, reset_for_real: the peer gets an RST, bytes not read yet are
//           dropped), then the call is made and returns the kernel's own ECONNRESET.
//   emfile  accept4 fails with EMFILE, as if the fd table were full: the listener keeps
//           the connection queued for the next try.
// recv, send, accept4 and connect are only given faults on TCP sockets: a socket pair or
// a pipe inside the program (the server's shutdown signal, its stderr) is no network.
//
// Environment (nothing at all happens without FAULT_ROLE, so the library is safe in any
// process, a shell included):
//   FAULT_ROLE      a name for the process ("oneshot-server"); also mixed into the seed
//   FAULT_SEED      the seed (default 1): each thread's dice are seeded from it, the role
//                   and the thread's number in the order threads first make a wrapped call
//   FAULT_KINDS     which kinds, with their rates in calls per million: "eintr,reset=100"
//                   (default: every kind at FAULT_RATE_PPM)
//   FAULT_RATE_PPM  the rate of a kind named without one (default 10000, 1 %)
//   FAULT_CALLS     which calls may be given faults: "connect,accept4" (default: all)
//   FAULT_REPORT    a folder: at exit the process writes FAULT_REPORT/<role>.<pid>, one
//                   line per call ("calls recv 123") and per kind and call ("eintr recv 4")
//   FAULT_BREAK     a thread's name (as the program named it): that thread's first
//                   epoll_wait or poll fails with ENOMEM, as poll(2) may when the kernel
//                   is out of memory. Not a fault to survive but a failure to contain:
//                   tests/test_failure_paths.cpp breaks one server thread so and checks
//                   what the rest does. Counted as "break".
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "scripts/faults/fault_plan.hpp"

namespace {

using faults::Call;
using faults::Kind;

template <typename Function>
Function next_symbol(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

// libc's functions (or the next wrapper's, a sanitizer's say). Found by the constructor,
// before the program starts a thread, or at the first call if one comes even earlier
// (from another library's constructor, while there is one thread only).
struct Real {
  decltype(&::recv) recv;
  decltype(&::send) send;
  decltype(&::accept4) accept4;
  decltype(&::connect) connect;
  decltype(&::epoll_wait) epoll_wait;
  decltype(&::epoll_ctl) epoll_ctl;
  decltype(&::poll) poll;
  decltype(&::read) read;
  decltype(&::write) write;
  decltype(&::close) close;
};
Real g_real;
bool g_resolved = false;

const Real& real() {
  if (!g_resolved) {
    g_real = Real{
        next_symbol<decltype(&::recv)>("recv"),
        next_symbol<decltype(&::send)>("send"),
        next_symbol<decltype(&::accept4)>("accept4"),
        next_symbol<decltype(&::connect)>("connect"),
        next_symbol<decltype(&::epoll_wait)>("epoll_wait"),
        next_symbol<decltype(&::epoll_ctl)>("epoll_ctl"),
        next_symbol<decltype(&::poll)>("poll"),
        next_symbol<decltype(&::read)>("read"),
        next_symbol<decltype(&::write)>("write"),
        next_symbol<decltype(&::close)>("close"),
    };
    g_resolved = true;
  }
  return g_real;
}

// Read once at load, before the program starts a thread, and never written again.
struct Settings {
  bool active = false;
  faults::Plan plan;
  std::uint64_t role_seed = 0;
  char role[64] = {};
  char report_dir[512] = {};
  char break_thread[16] = {};  // FAULT_BREAK, at most a thread name's 15 characters
};
Settings g_settings;

// What was done, by thread: each thread counts in its own slot (so counting costs no
// shared cache line), and the report adds the slots up. More threads than slots share.
constexpr std::size_t kSlots = 64;
struct alignas(64) Slot {
  std::atomic<std::uint64_t> calls[faults::kCalls] = {};
  std::atomic<std::uint64_t> injected[faults::kKinds][faults::kCalls] = {};
};
Slot g_slots[kSlots];
std::atomic<std::uint32_t> g_threads{0};

// One thread's dice and slot, set up at its first wrapped call.
struct ThreadDice {
  bool seeded = false;
  std::size_t slot = 0;
  faults::Dice dice{0};
};
thread_local ThreadDice t_dice;

ThreadDice& thread_dice() {
  ThreadDice& mine = t_dice;
  if (!mine.seeded) {
    const std::uint32_t number = g_threads.fetch_add(1, std::memory_order_relaxed);
    mine.slot = number % kSlots;
    mine.dice = faults::Dice(g_settings.role_seed + number);
    mine.seeded = true;
  }
  return mine;
}

// The epoll registrations the program made, by fd, so that a made-up EAGAIN or short read
// can re-arm the socket where it waits. A later fd than the table holds gets no such fault.
constexpr int kTrackedFds = 1 << 16;
struct Registration {
  std::atomic<int> epoll_fd_plus_one{0};  // 0: not in an epoll set we know of
  std::atomic<std::uint32_t> events{0};
  std::atomic<std::uint64_t> data{0};
};
Registration g_registered[kTrackedFds];

bool tracked(int fd) {
  return fd >= 0 && fd < kTrackedFds;
}

void note_registration(int epoll_fd, int op, int fd, const epoll_event* event) {
  if (!tracked(fd)) return;
  Registration& entry = g_registered[fd];
  if (op == EPOLL_CTL_DEL) {
    int expected = epoll_fd + 1;
    entry.epoll_fd_plus_one.compare_exchange_strong(expected, 0, std::memory_order_relaxed);
  } else if (event != nullptr) {
    entry.events.store(event->events, std::memory_order_relaxed);
    entry.data.store(event->data.u64, std::memory_order_relaxed);
    entry.epoll_fd_plus_one.store(epoll_fd + 1, std::memory_order_relaxed);
  }
}

void rearm(int fd) {
  const Registration& entry = g_registered[fd];
  const int epoll_fd = entry.epoll_fd_plus_one.load(std::memory_order_relaxed) - 1;
  if (epoll_fd < 0) return;  // not waited on yet: its first registration reports readiness
  epoll_event event{};
  event.events = entry.events.load(std::memory_order_relaxed);
  event.data.u64 = entry.data.load(std::memory_order_relaxed);
  faults::rearm(epoll_fd, fd, event, real().epoll_ctl);
}

// The fault this call gets, if any (most get none: one roll, no system call).
std::optional<Kind> draw(Call call) {
  if (!g_settings.active) return {};
  ThreadDice& mine = thread_dice();
  g_slots[mine.slot].calls[static_cast<std::size_t>(call)].fetch_add(1, std::memory_order_relaxed);
  return faults::choose(g_settings.plan, call, mine.dice.roll());
}

void count(Kind kind, Call call) {
  g_slots[thread_dice().slot]
      .injected[static_cast<std::size_t>(kind)][static_cast<std::size_t>(call)]
      .fetch_add(1, std::memory_order_relaxed);
}

// The answer of a call that fails at once with `error`.
int refuse(Kind kind, Call call, int error) {
  count(kind, call);
  errno = error;
  return -1;
}

// How much of `size` (at least 2) a short read or write asks for: 1 to size - 1, and no
// more than kShortCap, so that a cut falls inside a frame, its header included, and a cap
// bites on a large buffer too.
constexpr std::size_t kShortCap = 4096;
std::size_t shorter(std::size_t size) {
  return 1 + thread_dice().dice.roll() % std::min(size - 1, kShortCap);
}

// Keeps errno as it was: what the shim asks about an fd must not change what the program
// sees.
struct KeepErrno {
  int saved = errno;
  ~KeepErrno() { errno = saved; }
};

// What the fd is, asked only once a fault has been drawn for it.
class FdFacts {
 public:
  explicit FdFacts(int fd) : fd_(fd) {}
  bool tcp() const {
    const KeepErrno keep;
    int type = 0, domain = 0;
    socklen_t size = sizeof type;
    if (getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &size) < 0 || type != SOCK_STREAM) return false;
    size = sizeof domain;
    if (getsockopt(fd_, SOL_SOCKET, SO_DOMAIN, &domain, &size) < 0) return false;
    return domain == AF_INET || domain == AF_INET6;
  }
  bool connected() const {
    const KeepErrno keep;
    sockaddr_storage peer;
    socklen_t size = sizeof peer;
    return getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &size) == 0;
  }
  bool nonblocking() const {
    const KeepErrno keep;
    const int flags = fcntl(fd_, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK) != 0;
  }
  // An eventfd (an anonymous inode, no file type) or a pipe, non-blocking: a wake-up fd.
  bool wakeup() const {
    const KeepErrno keep;
    struct stat facts;
    if (fstat(fd_, &facts) < 0) return false;
    const bool kind = (facts.st_mode & S_IFMT) == 0 || S_ISFIFO(facts.st_mode);
    return kind && nonblocking();
  }
  // Nothing ends the stream yet (no FIN, hang-up or error queued), so a read that finds
  // nothing, or stops short, could be the truth of a moment before more arrives. Once the
  // FIN is in, every byte before it is queued and a real recv returns as many as it is
  // asked for: readers may count on that (readiness_hint.hpp, 4 -> 5), so then the shim
  // must not say otherwise.
  bool stream_open() const {
    const KeepErrno keep;
    pollfd state{fd_, POLLRDHUP, 0};
    if (real().poll(&state, 1, 0) < 0) return false;
    return (state.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
  }
  // A made-up EAGAIN or short count leaves the caller waiting for an edge only a re-arm
  // can promise; beyond the table we could not re-arm.
  bool rearmable() const { return tracked(fd_); }

 private:
  int fd_;
};

// recv and send share their faults; `transfer` is the real call with a size.
template <typename Transfer>
ssize_t transfer_with(Call call, int fd, std::size_t size, Transfer transfer) {
  const auto kind = draw(call);
  if (!kind) return transfer(size);
  const FdFacts facts(fd);
  if (!facts.tcp()) return transfer(size);
  const bool reading = call == Call::kRecv;
  switch (*kind) {
    case Kind::kEintr:
      return refuse(Kind::kEintr, call, EINTR);
    case Kind::kEagain:
      if (!facts.nonblocking() || !facts.rearmable() || (reading && !facts.stream_open())) break;
      rearm(fd);
      return refuse(Kind::kEagain, call, EAGAIN);
    case Kind::kShort: {
      if (size < 2 || !facts.rearmable() || (reading && !facts.stream_open())) break;
      const std::size_t cap = shorter(size);
      const ssize_t n = transfer(cap);
      if (n == static_cast<ssize_t>(cap)) {  // else the cap changed nothing
        const KeepErrno keep;
        count(Kind::kShort, call);
        rearm(fd);
      }
      return n;
    }
    case Kind::kReset: {
      if (!facts.connected()) break;
      count(Kind::kReset, call);
      faults::reset_for_real(fd, real().connect, ::shutdown);
      // The kernel's own ECONNRESET, unless the connection had closed both ways by then
      // (the peer's FIN can land between the look above and the reset): then no RST was
      // due, the kernel keeps no error, and a recv would read 0, a clean end of a stream
      // whose last bytes the reset dropped. The call fails with ECONNRESET all the same.
      const ssize_t n = transfer(size);
      if (n < 0) return n;
      errno = ECONNRESET;
      return -1;
    }
    case Kind::kEmfile:
      break;
  }
  return transfer(size);
}

// A call whose only fault is EINTR, and only if `eligible` says so.
template <typename Eligible>
bool interrupted(Call call, Eligible eligible) {
  const auto kind = draw(call);
  if (kind != Kind::kEintr || !eligible()) return false;
  refuse(Kind::kEintr, call, EINTR);
  return true;
}

std::atomic<std::uint64_t> g_breaks{0};

// FAULT_BREAK: true once, at the first wait of the thread it names.
bool broken_here() {
  thread_local bool looked = false;
  if (g_settings.break_thread[0] == '\0' || looked) return false;
  char name[16] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0) return false;
  if (std::strcmp(name, g_settings.break_thread) != 0) return false;
  looked = true;
  g_breaks.fetch_add(1, std::memory_order_relaxed);
  errno = ENOMEM;
  return true;
}

__attribute__((constructor)) void load_settings() {
  (void)real();
  const char* role = std::getenv("FAULT_ROLE");
  if (role == nullptr || *role == '\0') return;
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string_view(value == nullptr ? "" : value);
  };
  const auto plan =
      faults::parse_plan(env("FAULT_KINDS"), env("FAULT_RATE_PPM"), env("FAULT_SEED"));
  if (!plan) {
    std::fprintf(stderr, "faults: bad FAULT_KINDS, FAULT_RATE_PPM or FAULT_SEED (role %s)\n", role);
    _exit(2);  // a run that injects nothing must not pass for one that did
  }
  g_settings.plan = *plan;
  if (!faults::parse_calls(env("FAULT_CALLS"), g_settings.plan)) {
    std::fprintf(stderr, "faults: bad FAULT_CALLS (role %s)\n", role);
    _exit(2);
  }
  std::snprintf(g_settings.break_thread, sizeof g_settings.break_thread, "%s",
                env("FAULT_BREAK").data());
  std::snprintf(g_settings.role, sizeof g_settings.role, "%s", role);
  std::snprintf(g_settings.report_dir, sizeof g_settings.report_dir, "%s",
                env("FAULT_REPORT").data());
  // The role joins the seed, so that a server and a client given the same seed differ.
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char* c = g_settings.role; *c != '\0'; ++c)
    hash = (hash ^ static_cast<unsigned char>(*c)) * 0x100000001b3ULL;
  g_settings.role_seed = faults::Dice::splitmix64(g_settings.plan.seed ^ hash);
  g_settings.active = true;
}

__attribute__((destructor)) void write_report() {
  if (!g_settings.active || g_settings.report_dir[0] == '\0') return;
  char path[640];
  std::snprintf(path, sizeof path, "%s/%s.%d", g_settings.report_dir, g_settings.role,
                static_cast<int>(getpid()));
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  auto total = [](auto member) {
    std::uint64_t sum = 0;
    for (const Slot& slot : g_slots)
      sum += member(slot).load(std::memory_order_relaxed);
    return sum;
  };
  char text[8192];
  int used = std::snprintf(text, sizeof text, "role %s pid %d seed %llu\n", g_settings.role,
                           static_cast<int>(getpid()),
                           static_cast<unsigned long long>(g_settings.plan.seed));
  for (std::size_t call = 0; call < faults::kCalls; ++call) {
    const auto calls = total([call](const Slot& slot) -> auto& { return slot.calls[call]; });
    used += std::snprintf(text + used, sizeof text - used, "calls %s %llu\n",
                          faults::kCallNames[call].data(), static_cast<unsigned long long>(calls));
  }
  for (std::size_t kind = 0; kind < faults::kKinds; ++kind) {
    for (std::size_t call = 0; call < faults::kCalls; ++call) {
      if (!faults::applies(static_cast<Kind>(kind), static_cast<Call>(call))) continue;
      const auto injected =
          total([ kind, call ](const Slot& slot) -> auto& { return slot.injected[kind][call]; });
      used += std::snprintf(text + used, sizeof text - used, "%s %s %llu\n",
                            faults::kKindNames[kind].data(), faults::kCallNames[call].data(),
                            static_cast<unsigned long long>(injected));
    }
  }
  used += std::snprintf(text + used, sizeof text - used, "break wait %llu\n",
                        static_cast<unsigned long long>(g_breaks.load()));
  for (int done = 0; done < used;) {
    const ssize_t n = real().write(fd, text + done, static_cast<std::size_t>(used - done));
    if (n <= 0) break;
    done += static_cast<int>(n);
  }
  real().close(fd);
}

}  // namespace

extern "C" {

ssize_t recv(int fd, void* buffer, size_t size, int flags) {
  return transfer_with(Call::kRecv, fd, size,
                       [&](std::size_t asked) { return real().recv(fd, buffer, asked, flags); });
}

ssize_t send(int fd, const void* buffer, size_t size, int flags) {
  return transfer_with(Call::kSend, fd, size,
                       [&](std::size_t asked) { return real().send(fd, buffer, asked, flags); });
}

int accept4(int fd, sockaddr* address, socklen_t* size, int flags) {
  const auto kind = draw(Call::kAccept4);
  if (kind) {
    const FdFacts facts(fd);
    if (facts.tcp()) {
      if (*kind == Kind::kEintr) return refuse(Kind::kEintr, Call::kAccept4, EINTR);
      if (*kind == Kind::kEmfile) return refuse(Kind::kEmfile, Call::kAccept4, EMFILE);
      if (*kind == Kind::kEagain && facts.nonblocking() && facts.rearmable()) {
        rearm(fd);
        return refuse(Kind::kEagain, Call::kAccept4, EAGAIN);
      }
    }
  }
  return real().accept4(fd, address, size, flags);
}

// The connect is made either way; an interrupted one goes on in the background.
int connect(int fd, const sockaddr* address, socklen_t size) {
  const auto kind = draw(Call::kConnect);
  const int result = real().connect(fd, address, size);
  const bool going_on = result == 0 || errno == EINPROGRESS;
  if (kind != Kind::kEintr || !going_on || !FdFacts(fd).tcp()) return result;
  return refuse(Kind::kEintr, Call::kConnect, EINTR);
}

int epoll_wait(int epoll_fd, epoll_event* events, int capacity, int timeout_ms) {
  if (broken_here()) return -1;
  if (interrupted(Call::kEpollWait, [] { return true; })) return -1;
  return real().epoll_wait(epoll_fd, events, capacity, timeout_ms);
}

int poll(pollfd* fds, nfds_t count, int timeout_ms) {
  if (broken_here()) return -1;
  if (interrupted(Call::kPoll, [] { return true; })) return -1;
  return real().poll(fds, count, timeout_ms);
}

ssize_t read(int fd, void* buffer, size_t size) {
  if (interrupted(Call::kRead, [fd] { return FdFacts(fd).wakeup(); })) return -1;
  return real().read(fd, buffer, size);
}

ssize_t write(int fd, const void* buffer, size_t size) {
  if (interrupted(Call::kWrite, [fd] { return FdFacts(fd).wakeup(); })) return -1;
  return real().write(fd, buffer, size);
}

// Not given faults: watched, so that rearm knows where each socket waits.
int epoll_ctl(int epoll_fd, int op, int fd, epoll_event* event) {
  const int result = real().epoll_ctl(epoll_fd, op, fd, event);
  if (result == 0 && g_settings.active) note_registration(epoll_fd, op, fd, event);
  return result;
}

// A closed fd leaves every epoll set; its number may come back as another file.
int close(int fd) {
  if (g_settings.active && tracked(fd)) g_registered[fd].epoll_fd_plus_one.store(0);
  return real().close(fd);
}

}  // extern "C"

// The fault injector's decisions, apart from the system calls it wraps (fault_shim.cpp),
// so that tests/test_faults.cpp can pin them: which faults each call may be given, how a
// run's FAULT_KINDS / FAULT_RATE_PPM / FAULT_SEED are read, and the dice that choose a
// fault for a call. Also the two kernel moves the shim leans on to keep its faults honest
// (reset_for_real, rearm), with the real functions passed in: inside the shim, the names
// connect and epoll_ctl would be its own wrappers. docs/SOAK.md, "Faults", has the whole
// picture and the figures.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace faults {

enum class Kind : std::uint8_t { kEintr, kEagain, kShort, kReset, kEmfile };
inline constexpr std::size_t kKinds = 5;
inline constexpr std::array<std::string_view, kKinds> kKindNames = {"eintr", "eagain", "short",
                                                                    "reset", "emfile"};

enum class Call : std::uint8_t {
  kRecv,
  kSend,
  kAccept4,
  kConnect,
  kEpollWait,
  kPoll,
  kRead,
  kWrite
};
inline constexpr std::size_t kCalls = 8;
inline constexpr std::array<std::string_view, kCalls> kCallNames = {
    "recv", "send", "accept4", "connect", "epoll_wait", "poll", "read", "write"};

inline constexpr std::uint32_t kMillion = 1'000'000;

// Which faults a call may be given: only those a kernel can really answer with there, and
// that the shim can give without lying about what happens next (docs/SOAK.md, "Faults").
constexpr bool applies(Kind kind, Call call) {
  switch (kind) {
    case Kind::kEintr:
      return true;  // every call here can be interrupted by a signal (connect: see the shim)
    case Kind::kEagain:
      return call == Call::kRecv || call == Call::kSend || call == Call::kAccept4;
    case Kind::kShort:
      return call == Call::kRecv || call == Call::kSend;
    case Kind::kReset:
      return call == Call::kRecv || call == Call::kSend;
    case Kind::kEmfile:
      return call == Call::kAccept4;
  }
  return false;
}

// A run's settings: the rate of each kind, in calls per million (0: off), the seed, and
// which calls may be given faults at all (FAULT_CALLS; every one unless it names some).
struct Plan {
  std::array<std::uint32_t, kKinds> ppm{};
  std::uint64_t seed = 1;
  std::array<bool, kCalls> calls = all_calls();

  static constexpr std::array<bool, kCalls> all_calls() {
    std::array<bool, kCalls> every{};
    every.fill(true);
    return every;
  }
};

inline std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return {};
  return value;
}

// The part of `text` before the first `separator` (all of it if there is none).
inline std::string_view before(std::string_view text, char separator) {
  return {text.data(), std::min(text.find(separator), text.size())};
}

// What follows `head` and the separator after it in `text`, which starts with both.
inline std::string_view after(std::string_view text, std::string_view head) {
  return {text.data() + head.size() + 1, text.size() - head.size() - 1};
}

inline std::optional<Kind> kind_named(std::string_view name) {
  for (std::size_t i = 0; i < kKinds; ++i)
    if (kKindNames[i] == name) return static_cast<Kind>(i);
  return {};
}

// kinds: "eintr,reset=200" (a kind without "=ppm" gets `rate`); an empty list is every kind
// at `rate`. Fails (nullopt) on an unknown kind, a bad number, or rates that add up to more
// than a million, since one call gets at most one fault.
inline std::optional<Plan> parse_plan(std::string_view kinds, std::string_view rate,
                                      std::string_view seed) {
  Plan plan;
  const auto default_rate =
      rate.empty() ? std::optional<std::uint64_t>(10'000) : parse_number(rate);
  const auto seed_value = seed.empty() ? std::optional<std::uint64_t>(1) : parse_number(seed);
  if (!default_rate || *default_rate > kMillion || !seed_value) return {};
  plan.seed = *seed_value;
  if (kinds.empty()) {
    plan.ppm.fill(static_cast<std::uint32_t>(*default_rate));
    return plan;
  }
  while (!kinds.empty()) {
    const std::string_view item = before(kinds, ',');
    kinds.remove_prefix(std::min(item.size() + 1, kinds.size()));
    const std::string_view name = before(item, '=');
    const auto kind = kind_named(name);
    const auto ppm = name.size() == item.size() ? default_rate : parse_number(after(item, name));
    if (!kind || !ppm || *ppm > kMillion) return {};
    plan.ppm[static_cast<std::size_t>(*kind)] = static_cast<std::uint32_t>(*ppm);
  }
  std::uint64_t total = 0;
  for (const std::uint32_t ppm : plan.ppm)
    total += ppm;
  if (total > kMillion) return {};
  return plan;
}

inline std::optional<Call> call_named(std::string_view name) {
  for (std::size_t i = 0; i < kCalls; ++i)
    if (kCallNames[i] == name) return static_cast<Call>(i);
  return {};
}

// calls: "connect,accept4" limits the faults to those calls; empty leaves every call in.
// False on an unknown name, leaving `plan` as it was.
inline bool parse_calls(std::string_view calls, Plan& plan) {
  if (calls.empty()) return true;
  std::array<bool, kCalls> named{};
  while (!calls.empty()) {
    const std::string_view name = before(calls, ',');
    calls.remove_prefix(std::min(name.size() + 1, calls.size()));
    const auto call = call_named(name);
    if (!call) return false;
    named[static_cast<std::size_t>(*call)] = true;
  }
  plan.calls = named;
  return true;
}

// Which fault, if any, a call gets for a roll in [0, a million): the kinds that apply to
// the call take their share of the million in turn.
inline std::optional<Kind> choose(const Plan& plan, Call call, std::uint32_t roll) {
  if (!plan.calls[static_cast<std::size_t>(call)]) return {};
  std::uint32_t upto = 0;
  for (std::size_t i = 0; i < kKinds; ++i) {
    const auto kind = static_cast<Kind>(i);
    if (!applies(kind, call)) continue;
    upto += plan.ppm[i];
    if (roll < upto) return kind;
  }
  return {};
}

// One thread's rolls: xorshift64*, seeded through splitmix64 so that nearby seeds (a run's
// seed plus a thread's number) give unrelated sequences. Deterministic for a seed.
class Dice {
 public:
  constexpr explicit Dice(std::uint64_t seed) : state_(splitmix64(seed) | 1) {}
  std::uint32_t roll() {  // in [0, a million)
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<std::uint32_t>(((state_ * 0x2545F4914F6CDD1DULL) >> 32) % kMillion);
  }
  static constexpr std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }

 private:
  std::uint64_t state_;
};

// Resets a connected TCP socket the way a peer's RST would, so that an injected
// ECONNRESET is what both ends really see: connect(AF_UNSPEC) makes the kernel send the
// peer an RST, drop the bytes not read yet (as a reset drops those still in flight) and
// keep ECONNRESET as the socket's pending error; shutdown marks both directions closed (it
// answers ENOTCONN, which is expected). After it, the next recv or send fails with
// ECONNRESET, then recv reads 0 and send fails with EPIPE, and the reactor sees a hang-up:
// as after a real reset. On a connection already closed both ways no RST is due and the
// kernel keeps no error: the shim then fails the call itself. (tests/test_faults.cpp, "a
// reset ...")
template <typename Connect, typename Shutdown>
void reset_for_real(int fd, Connect connect_fn, Shutdown shutdown_fn) {
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  (void)connect_fn(fd, &unspecified, sizeof unspecified);
  (void)shutdown_fn(fd, SHUT_RDWR);
}

// After an EAGAIN or a short read the shim made up, the reader waits for the next edge of
// an edge-triggered epoll, which may never come: the bytes it left are already queued.
// EPOLL_CTL_MOD makes the kernel look at the socket again and queue an event if it is
// ready, as the arrival of the data just after the call would have. (tests/test_faults.cpp,
// "EPOLL_CTL_MOD ...")
template <typename EpollCtl>
void rearm(int epoll_fd, int fd, epoll_event event, EpollCtl epoll_ctl_fn) {
  (void)epoll_ctl_fn(epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

}  // namespace faults

// What the two floor tools share: the frame header of docs/PROTOCOL.md, a read buffer that
// keeps only a partial frame per connection, the command-line helpers and the fd limit.
//
// floor-server and floor-client (docs/BENCHMARKS.md, "The floor") measure the least work
// the protocol allows on this machine: one thread each, raw epoll, nonblocking sockets. So
// they use nothing of the project's runtime, data_layer, client or server code; what they
// need of the wire format is written again here, in a few lines, on purpose. Both programs
// are single-threaded, which is what lets them share one scratch buffer (scratch()).
#pragma once

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace floor_tool {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// PROTOCOL.md: u32 field1, u16 field2, u32 len, all little-endian; then len bytes of field3.
constexpr std::size_t kHeaderSize = 10;
constexpr std::uint64_t kDefaultMaxFrame = 1024 * 1024;  // largest len accepted, as bin/server
// One recv asks for this much: far more than a round of pipelined small frames.
constexpr std::size_t kReadChunk = 64 * 1024;

inline std::uint32_t load_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

inline void store_le(Bytes& out, std::uint64_t value, int size) {
  for (int i = 0; i < size; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// The frame at the front of some bytes, as far as its header tells.
struct FrameScan {
  std::size_t size = 0;    // header plus body; 0 while the header is incomplete
  bool complete = false;   // all `size` bytes are there
  bool oversized = false;  // len above the limit: the peer is to be dropped, nothing buffered
};

inline FrameScan scan_frame(ByteSpan bytes, std::uint64_t max_len) {
  if (bytes.size() < kHeaderSize) return {};
  const std::uint32_t len = load_u32(bytes.data() + 6);
  if (len > max_len) return {.oversized = true};
  const std::size_t size = kHeaderSize + len;
  return {.size = size, .complete = bytes.size() >= size};
}

// Both tools are single-threaded: one read buffer serves every connection in turn.
inline Bytes& scratch() {
  static Bytes buffer(kReadChunk);
  return buffer;
}

// Received bytes not yet consumed. Most reads end on a frame boundary, so they land in the
// shared scratch buffer and are consumed there without a copy; only the tail of a split
// frame is kept per connection, and the next read is appended to it.
//
// After each read(), view() is the kept tail followed by what arrived; the caller must call
// consume() before the next read() anywhere (the next one may reuse the scratch buffer).
class Inbox {
 public:
  // One recv(2); returns what it returned (bytes, 0 at end of stream, -1 with errno set).
  // `full` says the read filled all the room it had, so more may be waiting: what an
  // edge-triggered reader must know before it stops reading (epoll(7)).
  ssize_t read(int fd, bool& full) {
    std::uint8_t* into = nullptr;
    std::size_t room = kReadChunk;
    in_scratch_ = kept_.empty();
    if (in_scratch_) {
      into = scratch().data();
    } else {
      // A split frame: ask for at least the rest of it, so a large frame is not read in
      // many small pieces each appended to a growing buffer.
      const FrameScan frame = scan_frame(kept_, UINT32_MAX);
      if (frame.size > kept_.size()) room = std::max(room, frame.size - kept_.size());
      kept_.resize(kept_.size() + room);
      into = kept_.data() + kept_.size() - room;
    }
    const ssize_t n = ::recv(fd, into, room, 0);
    const std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
    full = got == room;
    if (in_scratch_) {
      view_ = ByteSpan(into, got);
    } else {
      kept_.resize(kept_.size() - room + got);
      view_ = ByteSpan(kept_);
    }
    return n;
  }

  ByteSpan view() const { return view_; }

  // The first `n` bytes of view() are dealt with; the rest is kept for the next read.
  void consume(std::size_t n) {
    if (in_scratch_) {
      const ByteSpan rest = view_.subspan(n);
      kept_.assign(rest.begin(), rest.end());
    } else {
      kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    view_ = {};
  }

  std::size_t kept() const { return kept_.size(); }

 private:
  Bytes kept_;  // the tail of a split frame, its length already checked against the limit
  ByteSpan view_;
  bool in_scratch_ = true;  // the last read went to scratch(), not onto kept_
};

// A bad command line: main prints it and exits 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The arguments after the program name, read as "--flag value" or "--flag=value".
class Args {
 public:
  Args(int argc, char** argv) : args_(argv + 1, argv + argc) {}

  // The next flag's name, or "" at the end. Its value, if it has one, comes from value().
  std::string_view next_flag() {
    inline_value_.reset();
    if (at_ == args_.size()) return {};
    std::string_view flag = args_[at_++];
    if (!flag.starts_with("--"))
      throw UsageError("unexpected argument '" + std::string(flag) + "'");
    if (const auto eq = flag.find('='); eq != std::string_view::npos) {
      inline_value_ = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    return flag;
  }

  std::string_view value(std::string_view flag) {
    if (inline_value_) return *inline_value_;
    if (at_ == args_.size()) throw UsageError(std::string(flag) + " wants a value");
    return args_[at_++];
  }

  std::uint64_t number(std::string_view flag, std::uint64_t min, std::uint64_t max) {
    const std::string_view text = value(flag);
    std::uint64_t result = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
    if (error != std::errc() || end != text.data() + text.size() || result < min || result > max) {
      throw UsageError(std::string(flag) + " wants a whole number from " + std::to_string(min) +
                       " to " + std::to_string(max) + ", not '" + std::string(text) + "'");
    }
    return result;
  }

  // A flag that takes no value must not have been given one with '='.
  void no_value(std::string_view flag) const {
    if (inline_value_) throw UsageError(std::string(flag) + " takes no value");
  }

 private:
  std::vector<std::string_view> args_;
  std::size_t at_ = 0;
  std::optional<std::string_view> inline_value_;
};

// --mode: true for stream, false for oneshot.
inline bool parse_stream_mode(std::string_view text) {
  if (text == "stream") return true;
  if (text == "oneshot") return false;
  throw UsageError("--mode wants oneshot or stream, not '" + std::string(text) + "'");
}

// Thousands of sockets need more than the usual soft limit of 1,024 fds: take the hard one.
// Returns the limit now in force.
inline std::uint64_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace floor_tool

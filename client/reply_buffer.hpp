// ReplyBuffer: a stream connection's incoming bytes, read straight into it and handed out a
// whole frame at a time, as bytes. The load generator compares each reply with the request
// it answers byte for byte: an exact echo of a valid request is itself a valid frame, so
// only a reply that differs needs decoding (to tell a wrong echo from a malformed frame).
// That spares every good reply the UTF-8 check, the Data and its string.
// departs from the book: docs/BOOK.md, "The client checks a stream reply by its bytes"
//
//   auto room = buffer.space();                        // read into this...
//   buffer.commit(co_await connection.read_some(room, timeout));  // ...then say how much
//   while (auto frame = buffer.next_frame()) check(*frame);
//   if (buffer.take_echo(request)) ...  // or: the exact echo, taken without parsing
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "data_layer/data.hpp"

namespace client {

class ReplyBuffer {
 public:
  explicit ReplyBuffer(std::size_t max_frame = data_layer::kDefaultMaxLen)
      : max_frame_(max_frame) {}

  // Where the next read goes: never empty, and big enough for the frame being received.
  std::span<std::uint8_t> space();
  // `count` bytes were read into the last space().
  void commit(std::size_t count);
  // The next whole frame, or nullopt if none is complete yet. The view lasts until the next
  // space(). Throws ClientError(kProtocol) for a header whose len is above max_frame.
  std::optional<data_layer::ByteView> next_frame();
  // If the next reply is exactly `expected`'s bytes (a valid frame: the request it echoes),
  // consumes it and returns true, without reading its header: bytes that begin with a whole
  // valid frame begin with its len field too, so that frame is the reply. Otherwise false,
  // and next_frame() tells what did arrive (or that it has not all arrived yet).
  bool take_echo(data_layer::ByteView expected);
  // Bytes are held that next_frame() or take_echo() has not handed out (part of a frame, or
  // frames not asked for yet): a close now cuts a reply short.
  bool holds_bytes() const { return begin_ != end_; }
  // Forgets everything held (the connection it belonged to is gone).
  void clear() { begin_ = end_ = wanted_ = 0; }

 private:
  static constexpr std::size_t kFirstSize = 4 * 1024;  // doubled, up to kMaxRead, as reads fill it
  static constexpr std::size_t kMaxRead = 64 * 1024;

  std::size_t max_frame_;
  std::vector<std::uint8_t> bytes_;  // [begin_, end_) are received and not yet handed out
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t wanted_ = 0;  // the size of the frame at begin_, once its header is in
  std::size_t room_ = 0;    // what the last space() offered
  bool filled_ = false;     // and the read took all of it
};

}  // namespace client

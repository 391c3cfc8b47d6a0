// TcpReceiver: the futures that read from a socket (the book's TcpReceiver).
//
//   read_frame()        one Data frame, through the data_layer's FrameDecoder; frames that
//                       arrive together wait in the decoder for the next call (pipelining)
//   read_frame_bytes()  the same frame as its checked wire bytes, for a caller that passes
//                       it on as it is (the stream server's echo): no Data is made
//   read_all_frame_bytes()  every frame that has arrived (at least one), back to back as
//                       their checked bytes: a burst of pipelined requests in one call
//   read_exact(buffer)  exactly buffer.size() bytes
//   read_to_end(limit)  everything until the peer closes, at most `limit` bytes
//   read_some(buffer)   whatever has arrived, at least one byte (0 at end of stream): for a
//                       caller that frames the bytes itself
//
// Reads go through one scratch buffer per thread, not one per connection: a connection
// waiting for its request holds only the few bytes of a split frame, so that a server with
// many thousands of them waiting needs little memory. A receiver reads either frames or raw
// bytes, not both: bytes the decoder has taken are not seen by the raw reads.
// departs from the book: docs/BOOK.md, "Memory per connection is kept small"
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "data_layer/data.hpp"
#include "data_layer/decode_error.hpp"
#include "data_layer/frame_decoder.hpp"
#include "runtime/future.hpp"
#include "runtime/socket.hpp"

namespace runtime {

// A malformed or truncated frame: what() is the decoder's reason, error() says which kind.
class FrameError : public std::runtime_error {
 public:
  explicit FrameError(data_layer::DecodeError error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const data_layer::DecodeError& error() const { return error_; }

 private:
  data_layer::DecodeError error_;
};

class TcpReceiver {
 public:
  class ReadFrame;
  class ReadFrameBytes;
  class ReadExact;
  class ReadToEnd;
  class ReadSome;

  explicit TcpReceiver(Socket& socket, std::size_t max_frame = data_layer::kDefaultMaxLen)
      : socket_(&socket), decoder_(max_frame) {}

  // Ready with the next frame, or nullopt when the peer closed cleanly between frames.
  // Throws FrameError for a malformed or truncated frame, std::system_error for I/O.
  ReadFrame read_frame();
  // The same, with the frame as its wire bytes (len and UTF-8 already checked). The view
  // lasts until the next read on this receiver: copy what must outlive it.
  ReadFrameBytes read_frame_bytes();
  // The same, with every frame that has arrived, back to back (FrameDecoder::next_all_bytes).
  ReadFrameBytes read_all_frame_bytes();
  // Throws std::system_error(ECONNRESET) if the peer closes before the buffer is full.
  ReadExact read_exact(std::span<std::uint8_t> buffer);
  // Throws std::length_error if the peer sends more than `limit` bytes.
  ReadToEnd read_to_end(std::size_t limit);
  // Ready with the number of bytes read into `buffer` (one read, at least one byte), or 0
  // when the peer closed. Throws std::system_error for I/O. `buffer` must not be empty.
  ReadSome read_some(std::span<std::uint8_t> buffer);

  // No partial frame held and no frame waiting: nothing would be lost by closing now.
  bool idle() const { return decoder_.idle(); }

 private:
  // ReadFrame's and ReadFrameBytes's one loop: `take` asks the decoder for a frame, in the
  // form the future hands out, and more is read from the socket until it has one.
  template <typename Output, typename Take>
  Poll<Output> poll_frame(SocketWait& wait, Context& cx, Take take);

  Socket* socket_;
  data_layer::FrameDecoder decoder_;
};

class TcpReceiver::ReadFrame {
 public:
  using Output = std::optional<data_layer::Data>;
  explicit ReadFrame(TcpReceiver& receiver)
      : receiver_(&receiver), wait_(*receiver.socket_, SocketWait::Direction::kRead) {}
  Poll<Output> poll(Context& cx);

 private:
  TcpReceiver* receiver_;
  SocketWait wait_;  // withdrawn when done or destroyed: a cancelled read leaves no waker
};

class TcpReceiver::ReadFrameBytes {
 public:
  using Output = std::optional<data_layer::ByteView>;
  // `all`: every frame waiting, not just the next one.
  ReadFrameBytes(TcpReceiver& receiver, bool all)
      : receiver_(&receiver), all_(all), wait_(*receiver.socket_, SocketWait::Direction::kRead) {}
  Poll<Output> poll(Context& cx);

 private:
  TcpReceiver* receiver_;
  bool all_;
  SocketWait wait_;  // as ReadFrame's
};

class TcpReceiver::ReadExact {
 public:
  using Output = void;
  ReadExact(TcpReceiver& receiver, std::span<std::uint8_t> buffer)
      : receiver_(&receiver),
        buffer_(buffer),
        wait_(*receiver.socket_, SocketWait::Direction::kRead) {}
  Poll<void> poll(Context& cx);

 private:
  TcpReceiver* receiver_;
  std::span<std::uint8_t> buffer_;
  std::size_t filled_ = 0;
  SocketWait wait_;
};

class TcpReceiver::ReadToEnd {
 public:
  using Output = std::vector<std::uint8_t>;
  ReadToEnd(TcpReceiver& receiver, std::size_t limit)
      : receiver_(&receiver),
        limit_(limit),
        wait_(*receiver.socket_, SocketWait::Direction::kRead) {}
  Poll<Output> poll(Context& cx);

 private:
  TcpReceiver* receiver_;
  std::size_t limit_;
  std::vector<std::uint8_t> bytes_;
  SocketWait wait_;
};

class TcpReceiver::ReadSome {
 public:
  using Output = std::size_t;
  ReadSome(TcpReceiver& receiver, std::span<std::uint8_t> buffer)
      : receiver_(&receiver),
        buffer_(buffer),
        wait_(*receiver.socket_, SocketWait::Direction::kRead) {}
  Poll<std::size_t> poll(Context& cx);

 private:
  TcpReceiver* receiver_;
  std::span<std::uint8_t> buffer_;
  SocketWait wait_;
};

}  // namespace runtime

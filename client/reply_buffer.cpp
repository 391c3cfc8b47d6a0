#include "client/reply_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <variant>

#include "client/error.hpp"

namespace client {

std::span<std::uint8_t> ReplyBuffer::space() {
  if (begin_ == end_) begin_ = end_ = 0;  // everything handed out: start over at the front
  if (bytes_.empty()) bytes_.resize(kFirstSize);
  // A read that filled all the room it had may have left bytes behind: read more at a time.
  if (filled_ && bytes_.size() < kMaxRead) bytes_.resize(std::min(2 * bytes_.size(), kMaxRead));
  const std::size_t held = end_ - begin_;
  const std::size_t needed = std::max(wanted_, held + 1);  // the frame in progress, or a byte
  if (begin_ + needed > bytes_.size()) {
    std::memmove(bytes_.data(), bytes_.data() + begin_, held);  // slide it to the front
    begin_ = 0;
    end_ = held;
    // Bounded: wanted_ passed the max_frame check.
    if (needed > bytes_.size()) bytes_.resize(std::max(needed, 2 * bytes_.size()));
  }
  room_ = bytes_.size() - end_;
  return {bytes_.data() + end_, room_};
}

void ReplyBuffer::commit(std::size_t count) {
  end_ += count;
  filled_ = count == room_;
}

std::optional<data_layer::ByteView> ReplyBuffer::next_frame() {
  const std::size_t held = end_ - begin_;
  if (held < data_layer::kHeaderSize) return std::nullopt;
  const data_layer::ByteView rest(bytes_.data() + begin_, held);
  if (wanted_ == 0) {
    auto size = data_layer::declared_frame_size(rest, max_frame_);
    if (auto* error = std::get_if<data_layer::DecodeError>(&size)) {
      throw ClientError(ErrorKind::kProtocol, "bad reply frame: " + error->message);
    }
    wanted_ = std::get<std::size_t>(size);
  }
  if (held < wanted_) return std::nullopt;
  const data_layer::ByteView frame = rest.first(wanted_);
  begin_ += wanted_;
  wanted_ = 0;
  return frame;
}

bool ReplyBuffer::take_echo(data_layer::ByteView expected) {
  if (end_ - begin_ < expected.size()) return false;
  if (std::memcmp(bytes_.data() + begin_, expected.data(), expected.size()) != 0) return false;
  begin_ += expected.size();
  wanted_ = 0;  // next_frame() may have read this frame's header while it was incomplete
  return true;
}

}  // namespace client

#include "data_layer/frame_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "data_layer/frame_header.hpp"

namespace data_layer {
namespace {

// A buffer whose capacity exceeds this is freed when it empties. Keeping small buffers saves
// an allocation per split frame on a busy connection; freeing larger ones stops one large
// frame, or one burst of pipelined requests, from pinning its memory to a connection that
// then goes quiet: an idle decoder holds at most two such buffers. The bound can be this low
// because a frame or burst big enough to cross it costs much more to copy and validate than
// the one malloc that freeing makes it pay next time.
constexpr std::size_t kRetainedCapacity = 4 * 1024;

template <typename T>
void release_if_large(std::vector<T>& buffer) {
  if (buffer.capacity() * sizeof(T) > kRetainedCapacity) std::vector<T>().swap(buffer);
}

}  // namespace

FrameDecoder::FrameDecoder(std::size_t max_len) : max_len_(std::min(max_len, kLargestMaxLen)) {}

void FrameDecoder::feed(ByteView chunk) {
  drop_delivered();
  while (!chunk.empty() && !error_) {
    chunk = partial_.empty() ? decode_in_place(chunk) : buffer_partial(chunk);
  }
}

std::optional<Data> FrameDecoder::next() {
  const auto frame = next_bytes();
  if (!frame) return std::nullopt;
  std::optional<Data> data(to_data(read_header(*frame), frame->subspan(kHeaderSize)));
  // The Data owns its text, so the last frame's bytes can go now rather than at the next
  // feed(): a connection that then goes quiet keeps no burst's worth of buffer.
  if (ready_head_ == ready_.size()) drop_delivered();
  return data;
}

std::optional<ByteView> FrameDecoder::next_bytes() {
  if (ready_head_ == ready_.size()) {
    drop_delivered();  // the last view handed out has expired: its bytes can go
    return std::nullopt;
  }
  const ByteView waiting = ByteView(ready_).subspan(ready_head_);
  const std::size_t size = read_header(waiting).frame_size();
  ready_head_ += size;
  return waiting.first(size);
}

std::optional<ByteView> FrameDecoder::next_all_bytes() {
  if (ready_head_ == ready_.size()) {
    drop_delivered();  // as in next_bytes()
    return std::nullopt;
  }
  const ByteView waiting = ByteView(ready_).subspan(ready_head_);
  ready_head_ = ready_.size();
  return waiting;
}

std::optional<DecodeError> FrameDecoder::finish() const {
  if (error_) return error_;
  if (partial_.empty()) return std::nullopt;
  return truncated_error(partial_);
}

std::size_t FrameDecoder::capacity_bytes() const {
  return partial_.capacity() + ready_.capacity();
}

// State 1: check the frames that lie wholly inside `chunk` where they lie, then queue their
// bytes with one copy (a burst of pipelined requests arrives as one chunk).
ByteView FrameDecoder::decode_in_place(ByteView chunk) {
  ByteView rest = chunk;
  std::optional<DecodeError> error;
  while (rest.size() >= kHeaderSize) {
    const FrameHeader header = read_header(rest);
    error = check_len(header, max_len_);
    if (error || rest.size() < header.frame_size()) break;
    error = check_body(rest.subspan(kHeaderSize, header.len));
    if (error) break;
    rest = rest.subspan(header.frame_size());
  }
  // The frames before a malformed one are still handed out.
  ready_.insert(ready_.end(), chunk.begin(),
                chunk.end() - static_cast<std::ptrdiff_t>(rest.size()));
  if (error) {
    fail(*std::move(error));
    return {};
  }
  return rest.empty() ? rest : buffer_partial(rest);  // the chunk ends inside this frame
}

// State 2: move bytes into partial_ until the frame is whole, then decode it from there.
// Returns the part of `chunk` after the frame; empty if the frame is still incomplete.
ByteView FrameDecoder::buffer_partial(ByteView chunk) {
  chunk = top_up(chunk, kHeaderSize);
  if (partial_.size() < kHeaderSize) return chunk;
  const FrameHeader header = read_header(partial_);
  // Checked before top_up() reserves the frame: this is the guard against a huge `len`.
  if (auto error = check_len(header, max_len_)) {
    fail(*std::move(error));
    return {};
  }
  chunk = top_up(chunk, header.frame_size());
  if (partial_.size() < header.frame_size()) return chunk;
  queue_partial();
  return chunk;
}

// The split frame in partial_ is whole: check its body and move it to the ready queue. A
// large frame that finds the queue empty is handed over in its buffer, not copied (partial_
// takes the queue's empty one); a small frame is copied, so that partial_ keeps its small
// buffer for the next split frame.
void FrameDecoder::queue_partial() {
  if (auto error = check_body(ByteView(partial_).subspan(kHeaderSize))) {
    fail(*std::move(error));
    return;
  }
  if (ready_.empty() && partial_.capacity() > kRetainedCapacity) {
    ready_.swap(partial_);
  } else {
    ready_.insert(ready_.end(), partial_.begin(), partial_.end());
  }
  release_partial();
}

// Appends bytes from `chunk` until partial_ holds `target` bytes or the chunk runs out.
// `target` is the header's size or, once the header is read, the whole frame's: both exact,
// so partial_ is allocated at most twice per split frame and never over-allocated.
ByteView FrameDecoder::top_up(ByteView chunk, std::size_t target) {
  if (partial_.size() >= target) return chunk;
  const std::size_t take = std::min(target - partial_.size(), chunk.size());
  partial_.reserve(target);
  partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + take);
  return chunk.subspan(take);
}

void FrameDecoder::fail(DecodeError error) {
  error_ = std::move(error);
  release_partial();  // the rest of the stream is ignored, so nothing held is worth keeping
}

// Erases the frames already handed out. Without this, a caller that always leaves one
// frame waiting (takes one, feeds more, takes one...) would grow ready_ without bound.
void FrameDecoder::drop_delivered() {
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(ready_head_));
  ready_head_ = 0;
  if (ready_.empty()) release_if_large(ready_);
}

void FrameDecoder::release_partial() {
  partial_.clear();
  release_if_large(partial_);
}

}  // namespace data_layer

#include "client/sent_frames.hpp"

#include <cstdint>
#include <variant>

namespace client {

void SentFrames::start_batch() {
  if (head_ == bytes_.size()) {
    bytes_.clear();  // all answered: the usual case without pipelining
    head_ = 0;
  } else if (head_ >= kCompactAt || head_ > bytes_.size() - head_) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  batch_start_ = bytes_.size();
}

data_layer::ByteView SentFrames::batch() const {
  return data_layer::ByteView(bytes_).subspan(batch_start_);
}

data_layer::ByteView SentFrames::oldest() const {
  const data_layer::ByteView rest = data_layer::ByteView(bytes_).subspan(head_);
  // Our own frame: its len is whatever we wrote, so no maximum applies.
  return rest.first(std::get<std::size_t>(data_layer::declared_frame_size(rest, SIZE_MAX)));
}

void SentFrames::pop_oldest() {
  head_ += oldest().size();
}

void SentFrames::clear() {
  bytes_.clear();
  head_ = batch_start_ = 0;
}

}  // namespace client

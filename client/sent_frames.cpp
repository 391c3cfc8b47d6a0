#include "client/sent_frames.hpp"

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
  return rest.first(data_layer::own_frame_size(rest));  // our own frame: its len needs no check
}

void SentFrames::pop_oldest() {
  head_ += oldest().size();
}

void SentFrames::clear() {
  bytes_.clear();
  head_ = batch_start_ = 0;
}

}  // namespace client

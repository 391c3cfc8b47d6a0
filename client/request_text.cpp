#include "client/request_text.hpp"

#include <algorithm>
#include <charconv>

namespace client {

std::string_view RequestText::of(std::uint64_t index) {
  const bool next = size_ > 0 && index == index_ + 1 && index != 0;  // 0: wrapped around
  if (!next || !increment()) format(index);
  index_ = index;
  return {room_.data(), size_};
}

void RequestText::format(std::uint64_t index) {
  char* digits = std::copy(kPrefix.begin(), kPrefix.end(), room_.data());
  size_ = static_cast<std::size_t>(std::to_chars(digits, room_.data() + room_.size(), index).ptr -
                                   room_.data());
}

bool RequestText::increment() {
  for (std::size_t at = size_; at-- > kPrefix.size();) {
    if (room_[at] != '9') {
      ++room_[at];
      return true;
    }
    room_[at] = '0';  // carry on to the digit before
  }
  return false;  // all nines: the caller formats the longer number
}

}  // namespace client

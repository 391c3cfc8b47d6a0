#include "client/timeline.hpp"

#include <algorithm>

namespace client {

void Timeline::record(Clock::time_point at, bool ok) {
  const Clock::duration offset = std::max(at - start_, Clock::duration::zero());
  auto index = static_cast<std::size_t>(offset / width_);
  for (; index >= kMaxSlices; index = static_cast<std::size_t>(offset / width_))
    widen();
  if (index >= slices_.size()) slices_.resize(index + 1);
  ++(ok ? slices_[index].ok : slices_[index].failed);
}

void Timeline::merge(const Timeline& other) {
  Timeline wider = other;
  while (wider.width_ < width_)
    wider.widen();
  while (width_ < wider.width_)
    widen();
  if (slices_.size() < wider.slices_.size()) slices_.resize(wider.slices_.size());
  for (std::size_t i = 0; i < wider.slices_.size(); ++i)
    slices_[i] += wider.slices_[i];
}

void Timeline::widen() {
  for (std::size_t i = 0; i < slices_.size(); i += 2) {
    Slice pair = slices_[i];
    if (i + 1 < slices_.size()) pair += slices_[i + 1];
    slices_[i / 2] = pair;
  }
  slices_.resize((slices_.size() + 1) / 2);
  width_ *= 2;
}

}  // namespace client

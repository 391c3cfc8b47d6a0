#include "client/dispenser.hpp"

namespace client {

Dispenser::Dispenser(const Options& options, Clock::time_point start)
    : limit_(options.duration_s > 0 && options.rate == 0 && !options.requests_given
                 ? UINT64_MAX
                 : options.requests),
      start_(start),
      rate_(options.rate) {
  if (options.duration_s > 0) {
    deadline_ = start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(options.duration_s));
  }
}

std::optional<Dispenser::Claim> Dispenser::claim() {
  const std::uint64_t index = next_.fetch_add(1, std::memory_order_relaxed);
  if (index >= limit_) return std::nullopt;
  // Closed loop: a request has no schedule, so the clock is read only when --duration
  // needs it; the lane stamps the request when it really goes out.
  Clock::time_point scheduled{};
  if (rate_ > 0) {
    scheduled = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(index) / rate_));
  } else if (deadline_) {
    scheduled = Clock::now();
  }
  if (deadline_ && scheduled >= *deadline_) return std::nullopt;
  return Claim{index, scheduled};
}

void Dispenser::claim_up_to(std::size_t most, std::vector<Claim>& into) {
  if (most == 0) return;
  // Stamped as claim() stamps a closed-loop request: only --duration needs the clock.
  const Clock::time_point now = deadline_ ? Clock::now() : Clock::time_point{};
  if (deadline_ && now >= *deadline_) return;
  const std::uint64_t first = next_.fetch_add(most, std::memory_order_relaxed);
  if (first >= limit_) return;
  const std::uint64_t end = limit_ - first < most ? limit_ : first + most;
  for (std::uint64_t index = first; index < end; ++index)
    into.push_back({index, now});
}

}  // namespace client

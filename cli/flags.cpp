#include "cli/flags.hpp"

#include <charconv>
#include <string>

namespace cli {

std::uint64_t parse_number(std::string_view flag, std::string_view text, std::uint64_t min,
                           std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(std::string(flag) + " wants a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not '" + std::string(text) + "'");
  }
  return value;
}

std::chrono::milliseconds parse_millis(std::string_view flag, std::string_view text,
                                       std::uint64_t min) {
  constexpr std::uint64_t kDayMs = 24ull * 3600 * 1000;
  return std::chrono::milliseconds(parse_number(flag, text, min, kDayMs));
}

data_layer::Mode parse_mode(std::string_view text) {
  if (auto mode = data_layer::parse_mode(text)) return *mode;
  throw UsageError("--mode wants oneshot or stream, not '" + std::string(text) + "'");
}

}  // namespace cli

#include "server/stats.hpp"

#include <array>

namespace server {

void Stats::count_error(std::string_view kind, std::uint64_t count) {
  auto it = errors.find(kind);
  if (it == errors.end()) it = errors.emplace(std::string(kind), 0).first;
  it->second += count;
}

std::uint64_t Summary::connections() const {
  std::uint64_t total = 0;
  for (std::uint64_t n : connections_per_worker)
    total += n;
  return total;
}

std::uint64_t Summary::errors_of(std::string_view kind) const {
  const auto it = errors.find(kind);
  return it == errors.end() ? 0 : it->second;
}

std::string Summary::to_string() const {
  std::string text = std::to_string(connections()) + " connections (";
  for (std::size_t i = 0; i < connections_per_worker.size(); ++i) {
    if (i > 0) text += ", ";
    text += worker_name(i) + " " + std::to_string(connections_per_worker[i]);
  }
  text += "); errors: ";
  if (errors.empty()) text += "none";
  bool first = true;
  for (const auto& [kind, count] : errors) {
    if (!first) text += ", ";
    first = false;
    text += kind + " " + std::to_string(count);
  }
  for (std::size_t i = 0; i < failed_threads.size(); ++i)
    text += (i == 0 ? "; failed: " : ", ") + failed_threads[i];
  return text;
}

std::string worker_name(std::size_t index) {
  static constexpr std::array<const char*, 10> kNames = {"One", "Two",   "Three", "Four", "Five",
                                                         "Six", "Seven", "Eight", "Nine", "Ten"};
  if (index < kNames.size()) return kNames[index];
  return "Worker " + std::to_string(index + 1);
}

}  // namespace server

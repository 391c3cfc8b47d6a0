// RequestText: field3 of the book's request, "Hello, server! i", written for one number
// after another. A pipelined batch takes consecutive numbers (Dispenser::claim_up_to), and
// the next number's digits are the last one's plus one: incrementing them in place touches
// the last digit or two, where formatting the number afresh divides once per digit, and a
// pipelined run writes millions of these texts. Any other order formats afresh.
// departs from the book: docs/BOOK.md, "The client increments its request text"
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace client {

class RequestText {
 public:
  // The text for request `index`, valid until the next call.
  std::string_view of(std::uint64_t index);

 private:
  static constexpr std::string_view kPrefix = "Hello, server! ";

  void format(std::uint64_t index);
  bool increment();  // false when the number gains a digit (9 -> 10), which formats afresh

  std::array<char, kPrefix.size() + 20> room_{};  // 20 digits: the largest uint64_t
  std::size_t size_ = 0;                          // 0 until the first number
  std::uint64_t index_ = 0;                       // the number in room_, once size_ > 0
};

}  // namespace client

#include "data_layer/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace data_layer {
namespace {

unsigned char byte_at(std::string_view text, std::size_t i) {
  return static_cast<unsigned char>(text[i]);
}

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Most payloads are ASCII, so skip it eight bytes per step: one AND tests eight high bits.
// memcpy keeps the load legal at any alignment, and the host's byte order does not matter
// because every byte is tested alike. Departs from the book: docs/BOOK.md, "UTF-8 is
// checked eight bytes at a time".
std::size_t skip_ascii(std::string_view text, std::size_t i) {
  constexpr std::uint64_t kHighBits = 0x8080808080808080;
  while (text.size() - i >= sizeof(std::uint64_t)) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if ((word & kHighBits) != 0) break;
    i += sizeof word;
  }
  while (i < text.size() && byte_at(text, i) < 0x80) {
    ++i;
  }
  return i;
}

// What a non-ASCII lead byte allows: the sequence's length and the range of its SECOND byte.
// Every later byte is a plain continuation (80..BF); narrowing the second byte's range is
// what rules out overlong forms, surrogates and code points above U+10FFFF.
struct LeadRule {
  std::size_t length;  // 0: this byte cannot start a sequence
  unsigned char second_min;
  unsigned char second_max;
};

LeadRule rule_for(unsigned char lead) {
  if (lead < 0xC2) return {0, 0, 0};         // 80..BF continuation; C0, C1 overlong ASCII
  if (lead < 0xE0) return {2, 0x80, 0xBF};   // U+0080..U+07FF
  if (lead == 0xE0) return {3, 0xA0, 0xBF};  // 80..9F would be overlong
  if (lead == 0xED) return {3, 0x80, 0x9F};  // A0..BF would be surrogates
  if (lead < 0xF0) return {3, 0x80, 0xBF};   // the rest of U+0800..U+FFFF
  if (lead == 0xF0) return {4, 0x90, 0xBF};  // 80..8F would be overlong
  if (lead < 0xF4) return {4, 0x80, 0xBF};   // U+40000..U+FFFFF
  if (lead == 0xF4) return {4, 0x80, 0x8F};  // 90..BF would be above U+10FFFF
  return {0, 0, 0};                          // F5..FF: above U+10FFFF whatever follows
}

// The length of the well-formed sequence that starts at text[i] (a non-ASCII byte), or 0.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const LeadRule rule = rule_for(byte_at(text, i));
  if (rule.length == 0 || text.size() - i < rule.length) return 0;
  const unsigned char second = byte_at(text, i + 1);
  if (second < rule.second_min || second > rule.second_max) return 0;
  for (std::size_t k = 2; k < rule.length; ++k) {
    if (!is_continuation(byte_at(text, i + k))) return 0;
  }
  return rule.length;
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (true) {
    i = skip_ascii(text, i);
    if (i == text.size()) return std::nullopt;
    const std::size_t length = sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
}

}  // namespace data_layer

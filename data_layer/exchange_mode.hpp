// The two exchange modes of docs/PROTOCOL.md, shared by the server and the client so that
// both spell them, and parse them from the command line, the same way.
#pragma once

#include <optional>
#include <string_view>

namespace data_layer {

enum class Mode {
  kOneshot,  // one request, the 14-byte greeting, close: the book's exchange
  kStream,   // keep-alive: every request frame is echoed, in order, until the peer closes
};

inline std::string_view to_string(Mode mode) {
  return mode == Mode::kOneshot ? "oneshot" : "stream";
}

// "oneshot" or "stream"; nullopt for anything else.
inline std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "oneshot") return Mode::kOneshot;
  if (text == "stream") return Mode::kStream;
  return std::nullopt;
}

}  // namespace data_layer

#include "client/json_reader.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "data_layer/utf8.hpp"

namespace client::json {

ParseError::ParseError(std::size_t offset, const std::string& expected)
    : std::runtime_error("at byte offset " + std::to_string(offset) + ": expected " + expected),
      offset_(offset),
      expected_(expected) {}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  const auto at = std::find(keys_.begin(), keys_.end(), key);
  return at == keys_.end() ? nullptr : &items_[static_cast<std::size_t>(at - keys_.begin())];
}

std::optional<std::uint64_t> Value::to_uint64() const {
  if (kind_ != Kind::kNumber) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text_.data() + text_.size();
  const auto [stop, error] = std::from_chars(text_.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;  // a sign, '.', 'e', too big
  return value;
}

std::optional<double> Value::to_double() const {
  if (kind_ != Kind::kNumber) return std::nullopt;
  double value = 0;
  // The grammar already held; only a magnitude beyond double's range is left to fail.
  if (std::from_chars(text_.data(), text_.data() + text_.size(), value).ec != std::errc())
    return std::nullopt;
  return value;
}

// A recursive-descent reader over the text, a function per rule of RFC 8259's grammar
// (arrays and objects share one loop).
// Each reads its rule from at_ on and leaves at_ just past it, or throws at the first byte
// that cannot continue it: that is what keeps error offsets at the failing byte.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value document() {
    skip_whitespace();
    Value value = this->value(0);
    skip_whitespace();
    if (at_ != text_.size()) fail("the end of the text after the value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const { throw ParseError(at_, expected); }

  bool at_end() const { return at_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[at_]; }
  bool take(char c) {
    if (at_end() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  void expect(char c, const std::string& expected) {
    if (!take(c)) fail(expected);
  }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++at_;
  }

  Value value(std::size_t depth) {
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return make(Value::Kind::kString, string());
      case 't':
        return literal("true", true);
      case 'f':
        return literal("false", false);
      case 'n':
        return literal("null", false);
      default:
        if (peek() == '-' || is_digit(peek())) return make(Value::Kind::kNumber, number());
        fail("a value (object, array, string, number, true, false or null)");
    }
  }

  static Value make(Value::Kind kind, std::string text) {
    Value value;
    value.kind_ = kind;
    value.text_ = std::move(text);
    return value;
  }

  // Byte by byte, so "tru" fails at its end and "trux" at the 'x'.
  Value literal(std::string_view word, bool boolean) {
    for (const char c : word)
      expect(c, "'" + std::string(word) + "'");
    Value value = make(word == "null" ? Value::Kind::kNull : Value::Kind::kBool, "");
    value.boolean_ = boolean;
    return value;
  }

  void enter(std::size_t depth) const {
    if (depth > kMaxDepth) fail("at most " + std::to_string(kMaxDepth) + " levels of nesting");
  }

  // An array or an object: its opening bracket, then items separated by ',' up to `close`,
  // each read by read_item into the container.
  template <class ReadItem>
  Value container(Value::Kind kind, std::size_t depth, char close, const std::string& item,
                  ReadItem read_item) {
    enter(depth);
    Value container = make(kind, "");
    ++at_;  // '[' or '{'
    skip_whitespace();
    if (take(close)) return container;
    while (true) {
      read_item(container);
      skip_whitespace();
      if (take(close)) return container;
      expect(',', "',' or '" + std::string(1, close) + "' after " + item);
      skip_whitespace();
    }
  }

  Value array(std::size_t depth) {
    return container(Value::Kind::kArray, depth, ']', "an array element",
                     [&](Value& array) { array.items_.push_back(value(depth)); });
  }

  Value object(std::size_t depth) {
    return container(Value::Kind::kObject, depth, '}', "an object member",
                     [&](Value& object) { member(object, depth); });
  }

  void member(Value& object, std::size_t depth) {
    if (peek() != '"') fail("a string key");
    std::string key = string();
    // The closing quote is where the key became a repeat: report it there. Linear per key,
    // which is fine for the dozen keys of a client's line.
    if (object.find(key) != nullptr) {
      --at_;
      fail("a key not used before in this object");
    }
    skip_whitespace();
    expect(':', "':' after an object key");
    skip_whitespace();
    object.keys_.push_back(std::move(key));
    object.items_.push_back(value(depth));
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void digits(const std::string& expected) {
    if (!is_digit(peek())) fail(expected);
    while (is_digit(peek()))
      ++at_;
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, kept as written.
  std::string number() {
    const std::size_t start = at_;
    take('-');
    if (!take('0')) digits("a digit");
    if (take('.')) digits("a digit after '.'");
    if (take('e') || take('E')) {
      if (!take('+')) take('-');
      digits("a digit in the exponent");
    }
    return std::string(text_.substr(start, at_ - start));
  }

  // The string's content with its escapes decoded, checked character by character.
  std::string string() {
    ++at_;  // '"'
    std::string out;
    while (!take('"')) {
      if (at_end()) fail("'\"' to end the string");
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c < 0x20) fail("'\\u00XX' for a control character");
      if (c == '\\') {
        escape(out);
      } else if (c >= 0x80) {
        utf8_character(out);
      } else {
        out += static_cast<char>(c);
        ++at_;
      }
    }
    return out;
  }

  // One UTF-8 character, from its lead byte, checked whole by data_layer's validator (the
  // lead says how long it is; a bad lead fails there too). One that the end of the text
  // cuts short fails at the end if some continuation would make it valid, so a valid text
  // cut inside a character still fails at its end: it is completed with the smallest
  // continuation bytes its lead allows (Unicode's Table 3-7 restricts only the second).
  void utf8_character(std::string& out) {
    const unsigned char lead = static_cast<unsigned char>(text_[at_]);
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    std::string character(text_.substr(at_, length));
    if (character.size() < length) {
      if (character.size() == 1)
        character += lead == 0xE0 ? '\xA0' : lead == 0xF0 ? '\x90' : '\x80';
      character.resize(length, '\x80');
      if (!data_layer::find_invalid_utf8(character)) {
        at_ = text_.size();
        fail("the rest of a UTF-8 character");
      }
    }
    if (data_layer::find_invalid_utf8(character)) fail("UTF-8 text");
    out += character;
    at_ += length;
  }

  // One escape, from its backslash; a high surrogate must be followed by its low half.
  void escape(std::string& out) {
    const std::size_t start = at_++;
    const char c = peek();
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (const auto simple = kFrom.find(c); c != '\0' && simple != std::string_view::npos) {
      out += kTo[simple];
      ++at_;
      return;
    }
    if (c != 'u') fail("an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
    ++at_;
    // A low half alone is refused; a high half must be followed by its low half.
    const auto not_low = [](std::uint32_t lo, std::uint32_t hi) {
      return lo < 0xDC00 || hi > 0xDFFF;
    };
    std::uint32_t code = hex4(start, "a \\u escape that is not a lone low surrogate", not_low);
    if (code >= 0xD800 && code <= 0xDBFF) {
      const std::size_t low_at = at_;
      expect('\\', "'\\u' and a low surrogate after a high one");
      expect('u', "'\\u' and a low surrogate after a high one");
      const auto low = [](std::uint32_t lo, std::uint32_t hi) {
        return hi >= 0xDC00 && lo <= 0xDFFF;
      };
      const std::uint32_t half =
          hex4(low_at, "a low surrogate (\\uDC00-\\uDFFF) after a high one", low);
      code = 0x10000 + ((code - 0xD800) << 10) + (half - 0xDC00);
    }
    append_utf8(code, out);
  }

  // The four hex digits of a \u escape. After each digit, `allowed(lo, hi)` says whether
  // the code points the digits so far can still become, lo to hi, hold one it takes; once
  // they cannot, the error is `why` at `escape_at`, before a later digit is even read, so
  // the offset is never past the digit that decided it (within 3 bytes of it).
  template <class Allowed>
  std::uint32_t hex4(std::size_t escape_at, const std::string& why, Allowed allowed) {
    std::uint32_t code = 0;
    for (unsigned read = 1; read <= 4; ++read) {
      const unsigned left = 4 - read;
      const char c = peek();
      const int digit = is_digit(c)              ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
      if (digit < 0) fail("four hex digits after \\u");
      code = code * 16 + static_cast<std::uint32_t>(digit);
      ++at_;
      const std::uint32_t lo = code << (4 * left), hi = lo | ((1u << (4 * left)) - 1);
      if (!allowed(lo, hi)) {
        at_ = escape_at;
        fail(why);
      }
    }
    return code;
  }

  static void append_utf8(std::uint32_t code, std::string& out) {
    auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
    if (code < 0x80) {
      byte(code);
    } else if (code < 0x800) {
      byte(0xC0 | (code >> 6));
      byte(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      byte(0xE0 | (code >> 12));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    } else {
      byte(0xF0 | (code >> 18));
      byte(0x80 | ((code >> 12) & 0x3F));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

Value parse(std::string_view text) {
  return Parser(text).document();
}

}  // namespace client::json

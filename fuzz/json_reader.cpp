// Fuzz target: client::json, the strict reader `bin/client --merge` reads result files with.
//
// A merge reads files a person hands it, so the reader must not only survive any bytes but
// keep its promises (client/json_reader.hpp) on all of them. The target carries its own
// reading of RFC 8259, a byte-at-a-time automaton written without the reader's code (the
// model below). For each input it checks that
//   1. parse() returns a value or throws ParseError saying what was expected; nothing else
//      escapes;
//   2. it takes exactly the texts the model takes; it refuses a text the model would take
//      more of (a valid text cut short) exactly at its end; and any other at the model's
//      first refused byte, or at most 3 bytes before it (a \u pair or a UTF-8 character,
//      named at its start), never after;
//   3. an accepted value keeps the rules: nesting within kMaxDepth, each key once per
//      object, every string (decoded escapes included) valid UTF-8, every number's text
//      RFC 8259's grammar, and a count (to_uint64()) exactly its text;
//   4. an accepted value written back out (compact, punctuation escaped, by a writer here)
//      reads back equal, and writes out the very same text again;
//   5. an accepted text cut at a few points is accepted or refused exactly at the cut.
//
// Input layout: the whole input is the text. A failed check prints what broke and aborts,
// which libFuzzer saves as a crash input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/json_reader.hpp"
#include "data_layer/utf8.hpp"

namespace fuzz {
namespace {

using client::json::ParseError;
using client::json::Value;
using Kind = Value::Kind;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "json_reader fuzz: check failed: %s\n", what);
  std::abort();
}

// The value, or the error; any other exception escapes and libFuzzer reports it.
struct Outcome {
  std::optional<Value> value;
  std::optional<ParseError> error;
};

Outcome read(std::string_view text) {
  try {
    return {client::json::parse(text), std::nullopt};
  } catch (const ParseError& error) {
    return {std::nullopt, error};
  }
}

// --- the model: RFC 8259 read again, a byte at a time ----------------------------------------

// RFC 8259's number, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as a state machine.
// States: 0 start, 1 after '-', 2 a leading 0, 3 in the integer, 4 after '.', 5 in the
// fraction, 6 after 'e', 7 after its sign, 8 in the exponent; -1 when `c` cannot follow.
int number_step(int state, char c) {
  const bool digit = c >= '0' && c <= '9', e = c == 'e' || c == 'E';
  switch (state) {
    case 0:
      return c == '-' ? 1 : c == '0' ? 2 : digit ? 3 : -1;
    case 1:
      return c == '0' ? 2 : digit ? 3 : -1;
    case 2:
      return c == '.' ? 4 : e ? 6 : -1;
    case 3:
      return digit ? 3 : c == '.' ? 4 : e ? 6 : -1;
    case 4:
      return digit ? 5 : -1;
    case 5:
      return digit ? 5 : e ? 6 : -1;
    case 6:
      return c == '+' || c == '-' ? 7 : digit ? 8 : -1;
    default:
      return digit ? 8 : -1;  // 7 and 8
  }
}
bool number_done(int state) {
  return state == 2 || state == 3 || state == 5 || state == 8;
}

bool is_number(const std::string& text) {
  int state = 0;
  for (const char c : text)
    if ((state = number_step(state, c)) < 0) return false;
  return number_done(state);
}

// A pushdown automaton that takes the text a byte at a time, written apart from the reader
// (which recurses): feed() says whether some valid text begins with the bytes so far. It
// keeps the reader's two rules of its own (at most kMaxDepth levels; a key once per object,
// keys compared by code points) and checks UTF-8 by the code points a character can still
// become, not by a table of lead bytes. So its first refused byte is the first at fault.
class Model {
 public:
  // False at the first byte no valid text has there; feed nothing more after that.
  bool feed(unsigned char c) {
    if (token_ == Token::kLiteral) return literal(c);
    if (token_ == Token::kString) return in_string(c);
    if (token_ == Token::kNumber) {
      if (const int next = number_step(number_, static_cast<char>(c)); next >= 0) {
        number_ = next;
        return true;
      }
      if (!number_done(number_)) return false;
      token_ = Token::kNone;  // the number ended; `c` comes after it
      value_done();
    }
    return between_tokens(c);
  }

  // The bytes so far are a whole valid text.
  bool complete() const {
    if (token_ == Token::kNumber) return open_.empty() && number_done(number_);
    return token_ == Token::kNone && want_ == Want::kEnd;
  }

 private:
  enum class Want { kValue, kValueOrClose, kKeyOrClose, kKey, kColon, kCommaOrClose, kEnd };
  enum class Token { kNone, kLiteral, kNumber, kString };
  struct Open {
    bool object;
    std::vector<std::vector<std::uint32_t>> keys;  // an object's keys so far
  };

  bool between_tokens(unsigned char c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
    switch (want_) {
      case Want::kValueOrClose:
        if (c == ']') return close(false);
        return value(c);
      case Want::kValue:
        return value(c);
      case Want::kKeyOrClose:
        if (c == '}') return close(true);
        return c == '"' && start_string(true);
      case Want::kKey:
        return c == '"' && start_string(true);
      case Want::kColon:
        want_ = Want::kValue;
        return c == ':';
      case Want::kCommaOrClose:
        if (c == ']' || c == '}') return close(c == '}');
        want_ = open_.back().object ? Want::kKey : Want::kValue;
        return c == ',';
      case Want::kEnd:
        return false;
    }
    return false;
  }

  bool value(unsigned char c) {
    if (c == '[' || c == '{') {
      if (open_.size() == client::json::kMaxDepth) return false;
      open_.push_back({c == '{', {}});
      want_ = c == '{' ? Want::kKeyOrClose : Want::kValueOrClose;
      return true;
    }
    if (c == '"') return start_string(false);
    for (const std::string_view word : {"true", "false", "null"}) {
      if (c != word.front()) continue;
      token_ = Token::kLiteral;
      rest_ = word.substr(1);
      return true;
    }
    number_ = number_step(0, static_cast<char>(c));
    token_ = Token::kNumber;
    return number_ >= 0;
  }

  bool close(bool object) {
    if (open_.empty() || open_.back().object != object) return false;
    open_.pop_back();
    value_done();
    return true;
  }

  void value_done() { want_ = open_.empty() ? Want::kEnd : Want::kCommaOrClose; }

  bool literal(unsigned char c) {
    if (c != static_cast<unsigned char>(rest_.front())) return false;
    rest_.remove_prefix(1);
    if (rest_.empty()) {
      token_ = Token::kNone;
      value_done();
    }
    return true;
  }

  bool start_string(bool key) {
    token_ = Token::kString;
    key_ = key;
    code_points_.clear();
    return true;
  }

  // One byte of a string, after its opening quote.
  bool in_string(unsigned char c) {
    if (utf8_left_ > 0) return continuation(c);
    if (surrogate_ == Surrogate::kWantBackslash) {
      surrogate_ = Surrogate::kWantU;
      return c == '\\';
    }
    if (surrogate_ == Surrogate::kWantU) {
      surrogate_ = Surrogate::kNone;
      hex_left_ = 4;
      hex_ = 0;
      return c == 'u';
    }
    if (hex_left_ > 0) return hex_digit(c);
    if (after_backslash_) return escaped(c);
    if (c == '"') return end_string();
    if (c == '\\') {
      after_backslash_ = true;
      return true;
    }
    if (c < 0x20) return false;
    if (c < 0x80) return add(c);
    // Lead bytes 110xxxxx, 1110xxxx, 11110xxx start 2, 3 and 4 bytes; no other can.
    const int length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 0) return false;
    static constexpr std::uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
    utf8_ = c & (0x7F >> length);
    utf8_left_ = length - 1;
    utf8_least_ = kLeast[length];
    return can_become();
  }

  bool continuation(unsigned char c) {
    if ((c & 0xC0) != 0x80) return false;
    utf8_ = (utf8_ << 6) | (c & 0x3F);
    --utf8_left_;
    if (!can_become()) return false;
    return utf8_left_ > 0 || add(utf8_);
  }

  // Whether the character begun can still end as a code point its length may encode: not
  // overlong, not above U+10FFFF, not a surrogate.
  bool can_become() const {
    const unsigned bits = 6 * static_cast<unsigned>(utf8_left_);
    const std::uint32_t lo = std::max(utf8_ << bits, utf8_least_);
    const std::uint32_t hi = std::min((utf8_ << bits) | ((1u << bits) - 1), 0x10FFFFu);
    return lo <= hi && !(lo >= 0xD800 && hi <= 0xDFFF);
  }

  bool escaped(unsigned char c) {
    after_backslash_ = false;
    static constexpr std::string_view kNames = "\"\\/bfnrt";
    static constexpr std::uint32_t kCodes[] = {'"', '\\', '/', '\b', '\f', '\n', '\r', '\t'};
    if (const auto at = kNames.find(static_cast<char>(c)); at != std::string_view::npos)
      return add(kCodes[at]);
    hex_left_ = 4;
    hex_ = 0;
    return c == 'u';
  }

  // A \u digit. The digits so far must leave room for a code point the escape may give:
  // after a high half, only a low half; otherwise anything but a low half.
  bool hex_digit(unsigned char c) {
    const unsigned lower = c | 0x20;  // a letter's lower case
    const int digit = c >= '0' && c <= '9'           ? c - '0'
                      : lower >= 'a' && lower <= 'f' ? static_cast<int>(lower - 'a') + 10
                                                     : -1;
    if (digit < 0) return false;
    hex_ = hex_ * 16 + static_cast<std::uint32_t>(digit);
    --hex_left_;
    const unsigned bits = 4 * static_cast<unsigned>(hex_left_);
    const std::uint32_t lo = hex_ << bits, hi = lo | ((1u << bits) - 1);
    const bool all_low = lo >= 0xDC00 && hi <= 0xDFFF, some_low = hi >= 0xDC00 && lo <= 0xDFFF;
    if (high_ != 0 ? !some_low : all_low) return false;
    if (hex_left_ > 0) return true;
    if (high_ != 0) {
      const std::uint32_t pair = 0x10000 + ((high_ - 0xD800) << 10) + (hex_ - 0xDC00);
      high_ = 0;
      return add(pair);
    }
    if (hex_ >= 0xD800 && hex_ <= 0xDBFF) {
      high_ = hex_;
      surrogate_ = Surrogate::kWantBackslash;
      return true;
    }
    return add(hex_);
  }

  bool add(std::uint32_t code_point) {
    code_points_.push_back(code_point);
    return true;
  }

  bool end_string() {
    token_ = Token::kNone;
    if (!key_) {
      value_done();
      return true;
    }
    auto& keys = open_.back().keys;
    if (std::find(keys.begin(), keys.end(), code_points_) != keys.end()) return false;
    keys.push_back(code_points_);
    want_ = Want::kColon;
    return true;
  }

  enum class Surrogate { kNone, kWantBackslash, kWantU };

  std::vector<Open> open_;
  Want want_ = Want::kValue;
  Token token_ = Token::kNone;
  std::string_view rest_;  // a literal's bytes still to come
  int number_ = 0;
  // In a string:
  bool key_ = false;
  std::vector<std::uint32_t> code_points_;  // decoded, to compare keys
  bool after_backslash_ = false;
  int hex_left_ = 0;  // \u digits still to come
  std::uint32_t hex_ = 0;
  std::uint32_t high_ = 0;  // a high half waiting for its low half; 0 when none
  Surrogate surrogate_ = Surrogate::kNone;
  int utf8_left_ = 0;  // continuation bytes still to come
  std::uint32_t utf8_ = 0, utf8_least_ = 0;
};

// Where the model refuses `text`: the index of its first refused byte, or nullopt if every
// byte was taken; and whether it is then a whole text.
struct Verdict {
  std::optional<std::size_t> first_bad;
  bool complete = false;
};

Verdict judge(std::string_view text) {
  Model model;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!model.feed(static_cast<unsigned char>(text[i]))) return {i, false};
  return {std::nullopt, model.complete()};
}

// --- the checks -------------------------------------------------------------------------------

void check_rules(const Value& value, std::size_t depth) {
  switch (value.kind()) {
    case Kind::kString:
      require(!data_layer::find_invalid_utf8(value.text()), "a string that is not UTF-8");
      return;
    case Kind::kNumber: {
      require(is_number(value.text()), "a number outside the grammar");
      if (const auto count = value.to_uint64())
        require(std::to_string(*count) == value.text(), "a count that is not its text");
      return;
    }
    case Kind::kArray:
    case Kind::kObject:
      require(depth < client::json::kMaxDepth, "nesting deeper than kMaxDepth");
      for (std::size_t i = 0; i < value.keys().size(); ++i) {
        require(!data_layer::find_invalid_utf8(value.keys()[i]), "a key that is not UTF-8");
        for (std::size_t j = 0; j < i; ++j)
          require(value.keys()[j] != value.keys()[i], "a key twice in one object");
      }
      require(value.is(Kind::kArray) ? value.keys().empty()
                                     : value.keys().size() == value.items().size(),
              "keys that do not match the values");
      for (const Value& item : value.items())
        check_rules(item, depth + 1);
      return;
    case Kind::kNull:
    case Kind::kBool:
      return;
  }
}

// Compact JSON. Strings write every ASCII byte but letters and digits as a \u escape, and
// the rest (UTF-8 above ASCII) raw, so reading back runs most of the text through the
// escape decoder.
void write(const Value& value, std::string& out);

void write_string(const std::string& text, std::string& out) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = byte >= 0x80 || (byte >= '0' && byte <= '9') ||
                       (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z');
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(byte));
    out += plain ? std::string(1, c) : std::string(escaped);
  }
  out += '"';
}

void write(const Value& value, std::string& out) {
  switch (value.kind()) {
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += value.boolean() ? "true" : "false";
      return;
    case Kind::kNumber:
      out += value.text();
      return;
    case Kind::kString:
      write_string(value.text(), out);
      return;
    case Kind::kArray:
    case Kind::kObject: {
      const bool object = value.is(Kind::kObject);
      out += object ? '{' : '[';
      for (std::size_t i = 0; i < value.items().size(); ++i) {
        if (i > 0) out += ',';
        if (object) {
          write_string(value.keys()[i], out);
          out += ':';
        }
        write(value.items()[i], out);
      }
      out += object ? '}' : ']';
      return;
    }
  }
}

// A prefix of a text that some valid text begins with: accepted, or refused at its end.
void check_viable(std::string_view prefix, const char* what) {
  const Outcome outcome = read(prefix);
  require(outcome.value || outcome.error->offset() == prefix.size(), what);
}

void check_accepted(std::string_view text, const Value& value) {
  check_rules(value, 0);
  std::string written;
  write(value, written);
  const Outcome again = read(written);
  require(again.value.has_value(), "a value written out does not read back");
  require(*again.value == value, "a value written out reads back different");
  std::string rewritten;
  write(*again.value, rewritten);
  require(rewritten == written, "writing is not stable");
  // A few cuts, the same for every input of a length: quarters, and the last byte.
  for (const std::size_t cut : {text.size() / 4, text.size() / 2, text.size() * 3 / 4,
                                text.size() > 0 ? text.size() - 1 : 0}) {
    check_viable(text.substr(0, cut), "a valid text cut short fails before the cut");
  }
}

// How far before the byte at fault an error may be named: a \u escape pair is decided by
// its digits but named at its backslash, a UTF-8 character by a continuation byte but named
// at its lead (client/json_reader.hpp).
constexpr std::size_t kNamedEarly = 3;

void check_refused(std::string_view text, const ParseError& error, const Verdict& verdict) {
  require(!error.expected().empty(), "an error that says nothing was expected");
  require(verdict.first_bad || !verdict.complete, "the reader refuses what the model takes");
  if (!verdict.first_bad) {
    require(error.offset() == text.size(), "a valid text cut short does not fail at its end");
    return;
  }
  require(error.offset() <= *verdict.first_bad, "an error named after the byte at fault");
  require(error.offset() + kNamedEarly >= *verdict.first_bad,
          "an error named more than 3 bytes before the byte at fault");
}

void run_one(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Outcome outcome = read(text);
  const Verdict verdict = judge(text);
  if (outcome.value) {
    require(!verdict.first_bad && verdict.complete, "the reader takes what the model refuses");
    check_accepted(text, *outcome.value);
  } else {
    check_refused(text, *outcome.error, verdict);
  }
}

}  // namespace
}  // namespace fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::run_one(data, size);
  return 0;
}

// JSON reader: a strict, standard-library-only reader of RFC 8259 JSON, for the one place
// the client reads JSON: `bin/client --merge` takes back the lines `--json` printed
// (merge.hpp). It reads a whole text into a Value tree; nothing here knows the line's keys.
//
// Strict means it takes what RFC 8259 allows and nothing more: no comments, no trailing
// commas, no leading zeros or bare '.5', no single quotes, no raw control characters in a
// string, UTF-8 only, and no lone surrogate in a \u escape. Two rules of its own: a key may
// appear once per object (the RFC leaves duplicates' meaning open, and a merge must not
// guess which count was meant), and nesting stops at kMaxDepth (the reader recurses, and
// a file of a million '[' must not overflow the stack).
//
// An error names the byte offset (from 0) and what was expected there. The offset is never
// past the first byte at fault, the first at which the text stops being the start of some
// valid JSON (a check that needs several bytes, a \u escape pair or a UTF-8 character,
// names the first of them, at most 3 bytes before), and a valid text cut short fails
// exactly at its end (fuzz/json_reader.cpp checks both against a reader of its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace client::json {

inline constexpr std::size_t kMaxDepth = 64;  // arrays and objects inside one another

class ParseError : public std::runtime_error {
 public:
  ParseError(std::size_t offset, const std::string& expected);
  std::size_t offset() const { return offset_; }
  // What would have been accepted at offset(): "',' or '}' after an object member".
  const std::string& expected() const { return expected_; }

 private:
  std::size_t offset_;
  std::string expected_;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind() const { return kind_; }
  bool is(Kind kind) const { return kind_ == kind; }
  bool boolean() const { return boolean_; }
  // A string's content, escapes decoded; a number's text exactly as written.
  const std::string& text() const { return text_; }
  // An array's elements; an object's member values, in the order of keys().
  const std::vector<Value>& items() const { return items_; }
  const std::vector<std::string>& keys() const { return keys_; }
  // An object's member named `key`, or nullptr (also for a value that is not an object).
  const Value* find(std::string_view key) const;

  // A number written as plain digits ("0", "42", no sign, fraction or exponent) that fits
  // in 64 bits; nullopt for any other value. Counts must be exact, so 1e3 is not one.
  std::optional<std::uint64_t> to_uint64() const;
  // Any number, nearest double; nullopt for a value that is not a number.
  std::optional<double> to_double() const;

  bool operator==(const Value&) const = default;

 private:
  friend class Parser;
  Kind kind_ = Kind::kNull;
  bool boolean_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<std::string> keys_;
};

// The one value that `text` holds, with only whitespace around it. Throws ParseError.
Value parse(std::string_view text);

}  // namespace client::json

// client::json, the strict reader `bin/client --merge` reads the client's JSON lines with:
// every kind of value, the escapes, each kind of malformed input with the byte offset and
// what was expected there, and the promise that a valid text cut short fails at its end.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "client/json_reader.hpp"

namespace {

using client::json::Value;
using Kind = client::json::Value::Kind;

// What parse() throws for `text`, or nullopt if it takes it.
std::optional<client::json::ParseError> error_of(std::string_view text) {
  try {
    (void)client::json::parse(text);
  } catch (const client::json::ParseError& error) {
    return error;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("json reader: takes every kind of value, with whitespace around it") {
  CHECK(client::json::parse("null").is(Kind::kNull));
  CHECK(client::json::parse(" true ").boolean());
  CHECK(client::json::parse("false").is(Kind::kBool));
  CHECK_FALSE(client::json::parse("false").boolean());
  CHECK(client::json::parse("\t\r\n\"hi\"\n").text() == "hi");
  CHECK(client::json::parse("[]").items().empty());
  CHECK(client::json::parse("{}").keys().empty());

  const Value object = client::json::parse(R"({"b": [1, -2.5e3, {"c": null}], "a": "x"})");
  REQUIRE(object.is(Kind::kObject));
  CHECK(object.keys() == std::vector<std::string>{"b", "a"});  // in the text's order
  REQUIRE(object.find("b") != nullptr);
  const Value& list = *object.find("b");
  REQUIRE(list.items().size() == 3);
  CHECK(list.items()[0].to_uint64() == 1u);
  CHECK(list.items()[1].text() == "-2.5e3");  // a number keeps its text as written
  CHECK(list.items()[1].to_double() == -2500.0);
  CHECK(list.items()[2].find("c")->is(Kind::kNull));
  CHECK(object.find("a")->text() == "x");
  CHECK(object.find("z") == nullptr);
  CHECK(list.find("b") == nullptr);  // not an object

  // Depth: kMaxDepth levels are taken.
  const std::string deep =
      std::string(client::json::kMaxDepth, '[') + std::string(client::json::kMaxDepth, ']');
  CHECK(client::json::parse(deep).is(Kind::kArray));
}

TEST_CASE("json reader: numbers follow the grammar, and only plain digits are counts") {
  for (const char* number : {"0", "-0", "7", "120", "-3.25", "1e3", "2E-2", "1.5e+10", "0.0"})
    CHECK_MESSAGE(client::json::parse(number).is(Kind::kNumber), number);
  CHECK(client::json::parse("18446744073709551615").to_uint64() == UINT64_MAX);
  CHECK_FALSE(client::json::parse("18446744073709551616").to_uint64());  // too big
  CHECK_FALSE(client::json::parse("-1").to_uint64());
  CHECK_FALSE(client::json::parse("1.0").to_uint64());
  CHECK_FALSE(client::json::parse("1e3").to_uint64());
  CHECK_FALSE(client::json::parse("\"1\"").to_uint64());  // a string is not a number
  CHECK(client::json::parse("1.052311").to_double() == doctest::Approx(1.052311));
  CHECK_FALSE(client::json::parse("1e999").to_double());  // beyond a double
  CHECK_FALSE(client::json::parse("true").to_double());
}

TEST_CASE("json reader: strings decode every escape, surrogate pairs and raw UTF-8") {
  CHECK(client::json::parse(R"("\" \\ \/ \b \f \n \r \t")").text() == "\" \\ / \b \f \n \r \t");
  CHECK(client::json::parse(R"("\u0041\u00e9\u20AC")").text() == "A\xc3\xa9\xe2\x82\xac");
  CHECK(client::json::parse(R"("\uD834\uDD1E")").text() == "\xf0\x9d\x84\x9e");  // U+1D11E
  CHECK(client::json::parse(R"("\u0000")").text() == std::string(1, '\0'));
  CHECK(client::json::parse("\"h\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e\"").text() ==
        "h\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e");
  CHECK(client::json::parse("\"\x7f\"").text() == "\x7f");  // DEL is not a control character here
}

TEST_CASE("json reader: malformed input fails at the byte at fault, saying what was expected") {
  struct Case {
    std::string text;
    std::size_t offset;
    std::string expected;  // a part of what the error says was expected
  };
  const Case cases[] = {
      {"", 0, "a value"},
      {"   ", 3, "a value"},
      {"[1,]", 3, "a value"},
      {"[1 2]", 3, "',' or ']'"},
      {"[1,2", 4, "',' or ']'"},
      {R"({"a":1,})", 7, "a string key"},
      {"{a:1}", 1, "a string key"},
      {R"({"a" 1})", 5, "':'"},
      {R"({"a":1 "b":2})", 7, "',' or '}'"},
      {R"({"a":1,"a":2})", 9, "a key not used before"},
      {"[1] x", 4, "the end of the text"},
      {"{} {}", 3, "the end of the text"},
      {"01", 1, "the end of the text"},
      {"-", 1, "a digit"},
      {"-x", 1, "a digit"},
      {".5", 0, "a value"},
      {"+1", 0, "a value"},
      {"1.", 2, "a digit after '.'"},
      {"1.e3", 2, "a digit after '.'"},
      {"1e", 2, "exponent"},
      {"1e+", 3, "exponent"},
      {"tru", 3, "'true'"},
      {"nulx", 3, "'null'"},
      {"False", 0, "a value"},
      {"'a'", 0, "a value"},
      {"\xef\xbb\xbf{}", 0, "a value"},  // a byte-order mark is not JSON
      {"\"abc", 4, "'\"' to end the string"},
      {"\"a\tb\"", 2, "control character"},
      {R"("\x")", 2, "an escape"},
      {"\"\\", 2, "an escape"},
      {R"("\u12G4")", 5, "four hex digits"},
      {R"("\uDC00")", 1, "lone low surrogate"},
      {R"("\uD800")", 7, "a low surrogate after a high one"},
      {R"("\uD800\u0041")", 7, "a low surrogate"},
      // Decided by the digits read so far: named at the escape, before the bad 'x'.
      {R"("\uDCx")", 1, "lone low surrogate"},
      {R"("\uD800\u0x")", 7, "a low surrogate"},
      {"\"\xc3\x28\"", 1, "UTF-8"},
      {"\"\xe2\x82\"", 1, "UTF-8"},
      {"\"\xff\"", 1, "UTF-8"},
      {"\"\xc0\xaf\"", 1, "UTF-8"},                        // an overlong '/'
      {"\"\xed\xa0\x80\"", 1, "UTF-8"},                    // a surrogate, encoded
      {"\"\xe2\x82", 3, "the rest of a UTF-8 character"},  // cut short: could still be valid
      {"\"\xe0\x80", 1, "UTF-8"},  // cut short, but no continuation makes it valid
      {std::string(client::json::kMaxDepth + 1, '['), client::json::kMaxDepth, "nesting"},
  };
  for (const Case& c : cases) {
    const auto error = error_of(c.text);
    REQUIRE_MESSAGE(error, "accepted: ", c.text);
    CHECK_MESSAGE(error->offset() == c.offset, c.text, ": ", error->what());
    CHECK_MESSAGE(error->expected().find(c.expected) != std::string::npos, c.text, ": ",
                  error->what());
    CHECK(std::string(error->what()) ==
          "at byte offset " + std::to_string(c.offset) + ": expected " + error->expected());
  }
}

TEST_CASE("json reader: a valid text cut short fails exactly where it was cut") {
  // A client's line, shortened (report.cpp prints the whole shape).
  const std::string line =
      R"({"requests":3,"ok":2,"wall_s":1.052311,"mean_us":-1.5e-3,"e":[true,false,null],)"
      R"("s":"a\"b\u00e9\uD834\uDD1E )"
      "\xe2\x9c\x93"
      R"(","histogram":[[127,1],[131,1]]})";
  REQUIRE_FALSE(error_of(line));
  for (std::size_t cut = 0; cut < line.size(); ++cut) {
    const auto error = error_of(line.substr(0, cut));
    REQUIRE_MESSAGE(error, "a prefix of ", cut, " bytes was accepted");
    CHECK_MESSAGE(error->offset() == cut, cut, ": ", error->what());
  }
}

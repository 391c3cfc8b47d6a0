// cli: the command-line parser both binaries share. Pinned here once, with a table of its
// own, so each binary's tests need only check its flags.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "cli/flags.hpp"

namespace {

struct Settings {
  std::uint64_t count = 0;
  std::string name;
  bool loud = false;
};

const cli::FlagTable<Settings>& table() {
  static const cli::FlagTable<Settings> flags{
      .valued = {{"--count",
                  [](Settings& s, std::string_view v) {
                    s.count = cli::parse_number("--count", v, 1, 10);
                  }},
                 {"--name", [](Settings& s, std::string_view v) { s.name = v; }}},
      .switches = {{"--loud", [](Settings& s) { s.loud = true; }}},
  };
  return flags;
}

Settings parse(std::vector<std::string_view> args) {
  Settings settings;
  cli::parse_flags(args, table(), settings);
  return settings;
}

std::string error_for(std::vector<std::string_view> args) {
  try {
    parse(std::move(args));
  } catch (const cli::UsageError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("cli: a value comes from the next argument or after '=', and switches take none") {
  const Settings s = parse({"--count", "3", "--loud", "--name=a=b"});
  CHECK(s.count == 3);
  CHECK(s.loud);
  CHECK(s.name == "a=b");  // only the first '=' splits
}

TEST_CASE("cli: every misuse is a UsageError that names the flag") {
  CHECK(error_for({"--what"}) == "unknown option '--what'");
  CHECK(error_for({"--name"}) == "--name wants a value");
  CHECK(error_for({"--loud=yes"}) == "--loud takes no value");
  CHECK(error_for({"stray"}) == "unexpected argument 'stray'");
  CHECK(error_for({"--count", "11"}) == "--count wants a whole number from 1 to 10, not '11'");
  CHECK(error_for({"--count", "2x"}).find("not '2x'") != std::string::npos);
  CHECK(error_for({"--count", ""}).find("not ''") != std::string::npos);
}

TEST_CASE("cli: the exchange mode and milliseconds parse, or say what they want") {
  CHECK(cli::parse_mode("stream") == data_layer::Mode::kStream);
  CHECK_THROWS_AS(cli::parse_mode("Stream"), cli::UsageError);
  CHECK(cli::parse_millis("--t", "86400000", 0).count() == 86'400'000);
  CHECK_THROWS_AS(cli::parse_millis("--t", "86400001", 0), cli::UsageError);
  CHECK_THROWS_AS(cli::parse_millis("--t", "0", 1), cli::UsageError);
}

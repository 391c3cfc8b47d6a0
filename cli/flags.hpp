// What the server's and the client's command lines share: the error for bad usage (the
// binaries print it and exit 2), numbers parsed with the flag's name in the message, and
// one parser for "--flag value", "--flag=value" and switches, driven by each binary's own
// table of flags (server/config.cpp, client/options.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "data_layer/exchange_mode.hpp"

namespace cli {

// A bad command line; what() names the problem.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A whole decimal number in [min, max], or UsageError naming the flag.
std::uint64_t parse_number(std::string_view flag, std::string_view text, std::uint64_t min,
                           std::uint64_t max);

// Milliseconds in [min, one day]: a day is beyond any sensible setting, and keeps the
// deadlines computed from it far from overflow.
std::chrono::milliseconds parse_millis(std::string_view flag, std::string_view text,
                                       std::uint64_t min);

// --mode: oneshot or stream.
data_layer::Mode parse_mode(std::string_view text);

// A binary's flags: those that take a value, and the switches, which take none.
template <class Settings>
struct FlagTable {
  std::map<std::string, std::function<void(Settings&, std::string_view value)>, std::less<>> valued;
  std::map<std::string, std::function<void(Settings&)>, std::less<>> switches;
};

// Applies `args` (without the program name) to `settings`. Throws UsageError for an
// argument that is not a flag, an unknown flag, a flag without its value, or a switch
// given one.
template <class Settings>
void parse_flags(std::span<const std::string_view> args, const FlagTable<Settings>& table,
                 Settings& settings) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    if (!flag.starts_with("-")) throw UsageError("unexpected argument '" + std::string(flag) + "'");
    std::string_view value;
    const auto eq = flag.find('=');
    if (eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (const auto as_switch = table.switches.find(flag); as_switch != table.switches.end()) {
      if (eq != std::string_view::npos) throw UsageError(std::string(flag) + " takes no value");
      as_switch->second(settings);
      continue;
    }
    const auto setter = table.valued.find(flag);
    if (setter == table.valued.end())
      throw UsageError("unknown option '" + std::string(flag) + "'");
    if (eq == std::string_view::npos) {
      if (i + 1 == args.size()) throw UsageError(std::string(flag) + " wants a value");
      value = args[++i];
    }
    setter->second(settings, value);
  }
}

}  // namespace cli

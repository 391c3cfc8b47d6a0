#include "client/targets.hpp"

#include <stdexcept>

#include "cli/flags.hpp"

namespace client {

namespace {

using cli::UsageError;

UsageError bad_target(std::string_view text, const std::string& why) {
  return UsageError("--target wants HOST:PORT (an IPv6 address as [::1]:PORT), not '" +
                    std::string(text) + "': " + why);
}

// The host part of "HOST:PORT" and where its port starts, for the two spellings.
Target parse_one(std::string_view text) {
  Target target;
  std::size_t colon = 0;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) throw bad_target(text, "no ']' after the address");
    target.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':')
      throw bad_target(text, "no ':PORT' after ']'");
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad_target(text, "no ':PORT'");
    // Two colons unbracketed: an IPv6 address whose last group cannot be told from a port.
    if (text.find(':') != colon) throw bad_target(text, "put an IPv6 address in brackets");
    target.host = std::string(text.substr(0, colon));
  }
  if (target.host.empty()) throw bad_target(text, "no host");
  const std::string_view port = text.substr(colon + 1);
  if (port.empty()) throw bad_target(text, "no port");
  target.port = static_cast<std::uint16_t>(cli::parse_number("--target's port", port, 1, 65535));
  return target;
}

}  // namespace

std::string Target::label() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void add_targets(std::string_view list, std::vector<Target>& into) {
  for (std::string_view rest = list;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view one = rest.substr(0, comma);
    if (one.empty()) throw bad_target(list, "an empty entry");
    into.push_back(parse_one(one));
    if (comma == std::string_view::npos) return;
    rest.remove_prefix(comma + 1);
  }
}

std::vector<runtime::SocketAddress> resolve_targets(const std::vector<Target>& targets) {
  std::vector<runtime::SocketAddress> addresses;
  addresses.reserve(targets.size());
  for (const Target& target : targets) {
    try {
      addresses.push_back(runtime::SocketAddress::resolve(target.host, target.port));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("--target " + target.label() + ": " + error.what());
    }
  }
  return addresses;
}

}  // namespace client

// count_of: how many times a string occurs in a text, for the tests that read what a run
// printed or wrote (the client's lines, its JSON, its SVG).
#pragma once

#include <cstddef>
#include <string>

namespace test {

inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++count;
  return count;
}

}  // namespace test

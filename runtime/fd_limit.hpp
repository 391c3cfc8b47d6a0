// raise_fd_limit(): one socket per connection means 10,000 connections need more file
// descriptors than the usual soft limit of 1024. The hard limit is the process's to take;
// the server and the client both take it at start-up.
#pragma once

#include <cstddef>

namespace runtime {

// Raises the soft open-file limit to the hard one (best effort: on failure the old limit
// stands), and returns what is now allowed.
std::size_t raise_fd_limit();

}  // namespace runtime

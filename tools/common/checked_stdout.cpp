// SPDX-License-Identifier: MIT
// tools/common/checked_stdout.cpp -- implementation of checked_stdout.hpp.
#include "checked_stdout.hpp"

#include <unistd.h>

#include <cerrno>

namespace sockcalc::cli {

CheckedStdout::CheckedStdout() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }

CheckedStdout::int_type CheckedStdout::overflow(int_type c) {
  if (sync() != 0) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int CheckedStdout::sync() {
  const char* next = pbase();
  const char* end = pptr();
  while (next < end && error_ == 0) {
    const ssize_t n = ::write(STDOUT_FILENO, next, static_cast<std::size_t>(end - next));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error_ = errno;
    if (n > 0) next += n;
  }
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return error_ == 0 ? 0 : -1;
}

}  // namespace sockcalc::cli

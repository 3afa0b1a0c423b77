// SPDX-License-Identifier: MIT
// tools/common/checked_stdout.hpp -- internal to tools/.
// CheckedStdout: the buffer behind std::cout in every program: writes to fd 1 with write(2) and
// keeps the errno of the first write that failed. Main thread only (std::cout is not shared).
#pragma once

#include <array>
#include <streambuf>

namespace sockcalc::cli {

/// A std::streambuf over fd 1. Unlike stdio's stdout, it remembers why output was lost: after
/// the first failed write(2) it keeps that errno, drops everything written later, and each
/// later flush fails, so the stream goes bad.
class CheckedStdout : public std::streambuf {
 public:
  CheckedStdout();
  CheckedStdout(const CheckedStdout&) = delete;
  CheckedStdout& operator=(const CheckedStdout&) = delete;

  /// The errno of the first failed write, or 0 while everything written reached fd 1.
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  static constexpr std::size_t kSize = 4096;  // as stdio's buffer for a pipe or a file
  std::array<char, kSize> buffer_{};
  int error_ = 0;
};

}  // namespace sockcalc::cli

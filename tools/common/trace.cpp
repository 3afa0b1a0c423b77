// SPDX-License-Identifier: MIT
// tools/common/trace.cpp -- implementation of tools/common/trace.hpp.
#include "trace.hpp"

#include "sockcalc/core/hex.hpp"

namespace sockcalc::cli {

std::string trace_line(std::string_view direction, const Address& peer, protocol::Bytes bytes,
                       std::size_t wire_length, std::string_view meaning) {
  std::string line = std::string(direction) + " " + peer.to_string() + ", " +
                     std::to_string(wire_length) + " bytes";
  if (wire_length > bytes.size()) line += " (first " + std::to_string(bytes.size()) + " held)";
  if (!bytes.empty()) line += ": " + course_hex(bytes);
  if (!meaning.empty()) line += " | " + std::string(meaning);
  return line;
}

}  // namespace sockcalc::cli

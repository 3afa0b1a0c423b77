// SPDX-License-Identifier: MIT
// msc/label.cpp -- implementation of msc/label.hpp.
#include "sockcalc/msc/label.hpp"

#include <cstdio>

namespace sockcalc::msc {

std::string escape_label(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\\' || byte < 0x20 || byte > 0x7e) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string gap_text(std::chrono::microseconds gap) {
  const double ms = static_cast<double>(gap.count()) / 1000.0;
  char text[32];
  if (ms < 10) {
    std::snprintf(text, sizeof text, "+%.1f ms", ms);
  } else if (ms < 1000) {
    std::snprintf(text, sizeof text, "+%.0f ms", ms);
  } else {
    std::snprintf(text, sizeof text, "+%.2f s", ms / 1000.0);
  }
  return text;
}

}  // namespace sockcalc::msc

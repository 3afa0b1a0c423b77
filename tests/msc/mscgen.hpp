// SPDX-License-Identifier: MIT
// msc/mscgen.hpp -- internal to tests/msc.
// Reading the mscgen text our programs write (its arcs and boxes) and rendering it with the real
// mscgen to SVG (the text of every label drawn). Pure parsing; rendering starts mscgen as a
// child process. One test thread per call.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sockcalc::msc_test {

/// One arc or box of an msc text, its entities by label ("client\n[::1]:5000" as written,
/// unescaped) and its label unescaped.
struct Row {
  std::string from;
  std::string kind;  // "->", "-x" or "box"
  std::string to;
  std::string label;
  bool operator==(const Row&) const = default;
  friend void PrintTo(const Row& r, std::ostream* os) {
    *os << "{" << r.from << " " << r.kind << " " << r.to << ": " << r.label << "}";
  }
};

/// The arcs and boxes of `msc` in order; entities named by their labels.
std::vector<Row> rows_of(const std::string& msc);
/// Only the arcs ("->" and "-x").
std::vector<Row> arcs_of(const std::string& msc);

/// An mscgen label's text as mscgen draws it: `\"` a quote, `\n` a line break (a newline
/// here), `\xHH` as written (the programs' escape stays visible).
std::string label_text(const std::string& quoted_inside);

/// mscgen's path through $PATH, or nullopt when it is not installed.
std::optional<std::string> find_mscgen();

/// What mscgen made of a file.
struct Rendering {
  bool ok = false;
  std::string error;               // mscgen's output when !ok
  std::vector<std::string> texts;  // every <text> of the SVG, in order, entities unescaped
};

/// Renders `msc_text` with `mscgen -T svg` in `dir` (a scratch directory), within 60 s.
Rendering render_svg(const std::string& mscgen, const std::string& dir, const std::string& name,
                     const std::string& msc_text);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
std::vector<std::string> lines_of(const std::string& text);

}  // namespace sockcalc::msc_test

// SPDX-License-Identifier: MIT
// msc/mscgen.cpp -- implementation of msc/mscgen.hpp (tests only).
#include "msc/mscgen.hpp"

#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "support/process.hpp"

namespace sockcalc::msc_test {
namespace {

std::string unescape_xml(std::string text) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, ch] : kEntities) {
    for (std::size_t at = text.find(entity); at != std::string::npos;
         at = text.find(entity, at + 1)) {
      text.replace(at, std::string(entity).size(), ch);
    }
  }
  return text;
}

}  // namespace

std::string label_text(const std::string& quoted_inside) {
  std::string out;
  for (std::size_t i = 0; i < quoted_inside.size(); ++i) {
    const char next = i + 1 < quoted_inside.size() ? quoted_inside[i + 1] : '\0';
    if (quoted_inside[i] == '\\' && (next == '"' || next == 'n')) {
      out += next == 'n' ? '\n' : '"';
      ++i;
    } else {
      out += quoted_inside[i];
    }
  }
  return out;
}

std::vector<Row> rows_of(const std::string& msc) {
  static const std::regex kEntity(R"re(^  (e\d+) \[label="((?:[^"\\]|\\.)*)"\][,;]$)re");
  static const std::regex kRow(
      R"re(^  (e\d+) (->|-x|box) (e\d+) \[label="((?:[^"\\]|\\.)*)"\];$)re");
  std::map<std::string, std::string> names;
  std::vector<Row> rows;
  for (const std::string& line : lines_of(msc)) {
    std::smatch m;
    if (std::regex_match(line, m, kEntity)) {
      names[m[1]] = label_text(m[2]);
    } else if (std::regex_match(line, m, kRow)) {
      rows.push_back(Row{names[m[1]], m[2], names[m[3]], label_text(m[4])});
    }
  }
  return rows;
}

std::vector<Row> arcs_of(const std::string& msc) {
  std::vector<Row> arcs;
  for (Row& r : rows_of(msc)) {
    if (r.kind != "box") arcs.push_back(std::move(r));
  }
  return arcs;
}

std::optional<std::string> find_mscgen() { return testing::find_program("mscgen"); }

Rendering render_svg(const std::string& mscgen, const std::string& dir, const std::string& name,
                     const std::string& msc_text) {
  const std::string in = dir + "/" + name + ".msc";
  const std::string out = dir + "/" + name + ".svg";
  write_file(in, msc_text);
  const testing::RunResult run =
      testing::run_program(mscgen, {"-T", "svg", "-o", out, in}, std::chrono::seconds(60));
  Rendering r;
  r.ok = run.status.exited_with(0) && run.err.empty();
  if (!r.ok) {
    r.error = run.report;
    return r;
  }
  // mscgen writes each text on lines of its own between "<text ...>" and "</text>".
  const std::vector<std::string> lines = lines_of(read_file(out));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("<text ")) continue;
    std::string text;
    for (++i; i < lines.size() && lines[i] != "</text>"; ++i) text += lines[i];
    r.texts.push_back(unescape_xml(text));
  }
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace sockcalc::msc_test

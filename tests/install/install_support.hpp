// SPDX-License-Identifier: MIT
// tests/install/install_support.hpp -- internal to tests/install.
// Small text helpers the install, completion and package tests share, and the list of the
// programs this build installs (SOCKCALC_TOOLS and SOCKCALC_PROGRAMS, from CMake). Test thread
// only.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sockcalc::install_test {

/// The words of `text`, split on white space.
inline std::vector<std::string> split_words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

/// The non-empty lines of `text`.
inline std::vector<std::string> lines_of(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

/// The whole content of the file at `path` ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The programs this build installs as sockcalc-NAME ("server", "client", ...).
inline std::vector<std::string> tools() { return split_words(SOCKCALC_TOOLS); }

/// The programs of this build by name, from SOCKCALC_PROGRAMS ("server=PATH,client=PATH,...").
inline std::map<std::string, std::string> build_programs() {
  std::map<std::string, std::string> programs;
  std::string_view list = SOCKCALC_PROGRAMS;
  while (!list.empty()) {
    const std::size_t end = std::min(list.find(','), list.size());
    const std::string_view entry = list.substr(0, end);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      programs[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return programs;
}

/// Every option a program's --help lists on its option lines, such as
/// "  -o, -op, --op OP   '+' (sum)" or "      --busy-poll  workers spin": the words that start
/// with '-' at the start of an indented line.
inline std::set<std::string> help_options(std::string_view help) {
  std::set<std::string> options;
  for (const std::string& line : lines_of(help)) {
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == 0 || first == std::string::npos || line[first] != '-') continue;
    for (std::string word : split_words(line)) {
      if (word.empty() || word[0] != '-') break;
      if (word.back() == ',') word.pop_back();
      options.insert(word);
    }
  }
  return options;
}

/// Links DIR/sockcalc-NAME to each program of this build, under the names it is installed
/// by. Returns "" or what failed.
inline std::string link_as_installed(const std::string& dir) {
  for (const auto& [name, path] : build_programs()) {
    std::error_code ec;
    std::filesystem::create_symlink(path, dir + "/sockcalc-" + name, ec);
    if (ec) return "cannot link " + path + ": " + ec.message();
  }
  return "";
}

}  // namespace sockcalc::install_test

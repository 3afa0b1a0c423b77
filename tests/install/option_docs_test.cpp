// SPDX-License-Identifier: MIT
// tests/install/option_docs_test.cpp -- internal to tests/install.
// The options each program's --help lists, against its documentation: the option tables of
// its section in README.md or docs/NAME.md, and the items of its man page (made by help2man
// from that --help, tools/CMakeLists.txt). Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::install_test {
namespace {

using testing::run_program;
using testing::RunResult;
using Set = std::set<std::string>;

// Where each program's options are documented: a file of the repository and the heading of
// the section whose tables list them (up to the next heading of the same or a higher level).
struct OptionTables {
  std::string file;
  std::string heading;
};
const std::map<std::string, OptionTables> kDocumented = {
    {"server", {"README.md", "## The server"}},
    {"client", {"README.md", "## The client"}},
    {"linksim", {"docs/LINKSIM.md", "## Usage"}},
    {"loadgen", {"docs/LOADGEN.md", "## Usage"}},
    {"conformance", {"docs/CONFORMANCE.md", "## Options and exit status"}},
    {"healthcheck", {"docs/SCALING.md", "## Health checker"}},
    {"msc", {"docs/DIAGRAMS.md", "## The msc converter"}},
};

std::string help_of(const std::string& tool) {
  const RunResult r = run_program(build_programs().at(tool), {"--help"});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  return r.out;
}

// The lines of the section of `markdown` that starts with the line `heading`.
std::vector<std::string> section(const std::string& markdown, const std::string& heading) {
  const std::size_t level = heading.find(' ');
  std::vector<std::string> lines;
  bool inside = false;
  bool fenced = false;  // "#" at the start of a line of a code block is not a heading
  for (const std::string& line : lines_of(markdown)) {
    if (line.starts_with("```")) fenced = !fenced;
    if (!fenced && line.starts_with('#')) {
      if (inside && line.find(' ') <= level) break;
      inside = inside || line == heading;
    }
    if (inside) lines.push_back(line);
  }
  return lines;
}

// The options the tables of `lines` document: in the cells that start with a `code` span
// (an option's cell, not a description that mentions other options), the words of those
// spans that start with '-' and a letter ("`-c, --concurrency K`", "`-op OP` (`-o`, `--op`)").
Set options_in_tables(const std::vector<std::string>& lines) {
  static const std::regex kCode("`([^`]*)`");
  static const std::regex kOption("^--?[A-Za-z][A-Za-z0-9-]*,?$");
  Set options;
  for (const std::string& line : lines) {
    if (!line.starts_with('|')) continue;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');) {
      const std::size_t first = cell.find_first_not_of(' ');
      if (first == std::string::npos || cell[first] != '`') continue;
      for (std::sregex_iterator it(cell.begin(), cell.end(), kCode), end; it != end; ++it) {
        for (std::string word : split_words((*it)[1].str())) {
          if (!std::regex_match(word, kOption)) continue;
          if (word.back() == ',') word.pop_back();
          options.insert(word);
        }
      }
    }
  }
  return options;
}

// The option items of a --help text as help2man reads them: on each line that starts (after
// 1 to 10 spaces) with '-', the text before the first two spaces ("-t, --threads N").
std::vector<std::string> help_items(const std::string& help) {
  std::vector<std::string> items;
  for (const std::string& line : lines_of(help)) {
    const std::size_t first = line.find_first_not_of(' ');
    if (first == 0 || first > 10 || first == std::string::npos || line[first] != '-') continue;
    const std::size_t gap = line.find("  ", first);
    items.push_back(line.substr(first, gap == std::string::npos ? gap : gap - first));
  }
  return items;
}

// The tags of a man page's items (.TP and .HP), as plain text: "\fB\-t\fR, \fB\-\-threads\fR N"
// reads "-t, --threads N".
Set man_item_tags(const std::string& page) {
  static const std::regex kFont(R"(\\f[BIRP])");
  Set tags;
  const std::vector<std::string> lines = lines_of(page);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i] != ".TP" && lines[i] != ".HP") continue;
    std::string tag = std::regex_replace(lines[i + 1], kFont, "");
    for (std::size_t at = tag.find("\\-"); at != std::string::npos; at = tag.find("\\-", at)) {
      tag.erase(at, 1);
    }
    tags.insert(tag);
  }
  return tags;
}

TEST(OptionDocs, EveryOptionOfEachProgramIsInItsTablesAndNoOther) {
  ASSERT_EQ(tools().size(), kDocumented.size());
  for (const std::string& tool : tools()) {
    ASSERT_TRUE(kDocumented.contains(tool)) << tool << ": where are its options documented?";
    const OptionTables& where = kDocumented.at(tool);
    const std::string markdown = read_file(std::string(SOCKCALC_SOURCE_DIR) + "/" + where.file);
    const std::vector<std::string> lines = section(markdown, where.heading);
    ASSERT_FALSE(lines.empty()) << where.file << " has no section '" << where.heading << "'";
    const Set documented = options_in_tables(lines);
    const Set in_help = help_options(help_of(tool));
    for (const std::string& option : in_help) {
      EXPECT_TRUE(documented.contains(option))
          << tool << " " << option << " is missing from the tables of " << where.file << " '"
          << where.heading << "'";
    }
    for (const std::string& option : documented) {
      EXPECT_TRUE(in_help.contains(option))
          << where.file << " '" << where.heading << "' documents " << option << ", which " << tool
          << " --help does not list";
    }
  }
}

TEST(OptionDocs, EveryOptionLineOfEachHelpIsOneItemHelp2manAndTheCompletionRead) {
  // An option, its other spellings, at most one argument name; then two spaces or the end.
  static const std::regex kItem(
      "^--?[A-Za-z][A-Za-z0-9-]*(, --?[A-Za-z][A-Za-z0-9-]*)*"
      "( [A-Z][A-Z0-9_|-]*)?$");
  for (const std::string& tool : tools()) {
    const std::string help = help_of(tool);
    const std::vector<std::string> items = help_items(help);
    EXPECT_GE(items.size(), 3U) << tool;
    for (const std::string& item : items) {
      EXPECT_TRUE(std::regex_match(item, kItem))
          << tool << " --help: '" << item
          << "' is not an option item: two spaces must part it from its description";
    }
  }
}

TEST(OptionDocs, EveryOptionOfEachProgramIsAnItemOfItsManPage) {
  if (!SOCKCALC_MAN_PAGES) {
    GTEST_SKIP() << "help2man was not found when this build was configured: no man pages "
                    "(apt-get install help2man; make check installs it)";
  }
  for (const std::string& tool : tools()) {
    const std::string path = std::string(SOCKCALC_BUILD_DIR) + "/man/sockcalc-" + tool + ".1";
    const std::string page = read_file(path);
    ASSERT_NE(page, "") << "no man page " << path;
    const Set tags = man_item_tags(page);
    for (const std::string& item : help_items(help_of(tool))) {
      EXPECT_TRUE(tags.contains(item)) << path << " has no item '" << item << "'";
    }
    EXPECT_THAT(page, HasSubstr("\n.SH \"SEE ALSO\"\n")) << path;
    for (const std::string& other : tools()) {
      if (other == tool) continue;
      EXPECT_THAT(page, HasSubstr(".BR sockcalc-" + other + " (1)"))
          << path << " does not point to sockcalc-" << other << "(1)";
    }
  }
}

}  // namespace
}  // namespace sockcalc::install_test

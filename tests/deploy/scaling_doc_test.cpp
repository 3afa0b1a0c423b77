// SPDX-License-Identifier: MIT
// tests/deploy/scaling_doc_test.cpp -- internal to tests/deploy.
// The command docs/SCALING.md gives to fill in deploy/nginx/sockcalc-stream.conf.in, run as a
// reader would run it (its output to stdout instead of /etc/nginx): it fills the placeholders
// of the configuration and leaves the template's comments as they are. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace sockcalc::deploy_test {
namespace {

using testing::run_program;
using testing::RunResult;

const std::string kSourceDir = SOCKCALC_SOURCE_DIR;
const std::string kTemplate = "deploy/nginx/sockcalc-stream.conf.in";
const std::string kTarget = " > /etc/nginx/sockcalc-stream.conf";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_comment(const std::string& line) {
  const std::size_t first = line.find_first_not_of(" \t");
  return first != std::string::npos && line[first] == '#';
}

// The shell command of docs/SCALING.md that writes the filled-in template: from its line
// "sed ..." over the continuation lines, up to the one that names the template.
std::string documented_command() {
  std::string command;
  for (const std::string& line : lines_of(read_text(kSourceDir + "/docs/SCALING.md"))) {
    if (command.empty() && !line.starts_with("sed ")) continue;
    command += line + "\n";
    if (line.find(kTemplate) != std::string::npos) break;
  }
  return command;
}

TEST(ScalingDoc, FillingTheNginxTemplateKeepsItsComments) {
  std::string command = documented_command();
  ASSERT_THAT(command, HasSubstr(kTemplate + kTarget))
      << "docs/SCALING.md has no command writing " << kTarget << ":\n"
      << command;
  command.replace(command.find(kTemplate + kTarget), kTemplate.size() + kTarget.size(),
                  kSourceDir + "/" + kTemplate);
  const RunResult r = run_program("/bin/sh", {"-c", command});
  ASSERT_TRUE(r.status.exited_with(0)) << r.report;

  const std::vector<std::string> before = lines_of(read_text(kSourceDir + "/" + kTemplate));
  const std::vector<std::string> after = lines_of(r.out);
  ASSERT_EQ(after.size(), before.size()) << r.out;
  int filled = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (is_comment(before[i])) {
      EXPECT_EQ(after[i], before[i]) << "comment line " << i + 1 << " changed";
    } else {
      EXPECT_THAT(after[i], Not(HasSubstr("@"))) << "placeholder left: " << after[i];
      filled += after[i] != before[i];
    }
  }
  EXPECT_EQ(filled, 2) << "the listen line and the servers line:\n" << r.out;
  EXPECT_THAT(r.out, HasSubstr("    listen [::]:10000 ipv6only=off udp reuseport")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("    server [2001:db8::11]:10000 max_fails=10 fail_timeout=10s;"))
      << r.out;
}

}  // namespace
}  // namespace sockcalc::deploy_test

// SPDX-License-Identifier: MIT
// tests/environment/output_failure_test.cpp -- internal to tests/environment.
// Output that cannot be written is a failure: the client's result, conformance's and loadgen's
// reports, every program's --help and --version, to a closed stdout or a full disk, give a
// non-zero exit status and a message on stderr (issue 10, section 5). Test thread only.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "environment.hpp"

using ::testing::HasSubstr;

namespace sockcalc::environment {
namespace {

using testing::ServerProcess;

constexpr std::string_view kCannotWrite = "cannot write to standard output: ";

struct Program {
  const char* path;
  int output_failure;  // the exit status its --help documents for it
};

const std::vector<Program> kPrograms = {{SOCKCALC_SERVER_BIN, 1},
                                        {SOCKCALC_CLIENT_BIN, 5},
                                        {SOCKCALC_LINKSIM_BIN, 1},
                                        {SOCKCALC_LOADGEN_BIN, 3},
                                        {SOCKCALC_CONFORMANCE_BIN, 3}};

void expect_failed_output(const RunResult& r, int status, std::string_view reason) {
  EXPECT_TRUE(r.status.exited_with(status)) << r.report;
  EXPECT_THAT(r.err, HasSubstr(std::string(kCannotWrite) + std::string(reason))) << r.report;
}

class OutputFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ServerProcess::start(SOCKCALC_SERVER_BIN, {"--threads", "1", "::1", "0"});
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
  }
  std::vector<std::string> course_call() const {
    return {"-op", "+", "::1", server_->port_arg(), "1", "2"};
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(OutputFailure, ClientResultToAClosedStdoutExits5) {
  expect_failed_output(run_via_shell(kStdoutClosed, SOCKCALC_CLIENT_BIN, course_call()), 5,
                       "bad file descriptor");
}

TEST_F(OutputFailure, ClientResultToAFullDiskExits5) {
  expect_failed_output(run_via_shell(kStdoutFull, SOCKCALC_CLIENT_BIN, course_call()), 5,
                       "no space left on device");
}

TEST_F(OutputFailure, ConformanceReportToAFullDiskExits3) {
  expect_failed_output(run_via_shell(kStdoutFull, SOCKCALC_CONFORMANCE_BIN,
                                     {"server", "::1", server_->port_arg()}, milliseconds(60'000)),
                       3, "no space left on device");
}

TEST_F(OutputFailure, LoadgenReportToAFullDiskExits3) {
  expect_failed_output(
      run_via_shell(kStdoutFull, SOCKCALC_LOADGEN_BIN,
                    {"-c", "1", "-w", "0", "-d", "0.2", "::1", server_->port_arg()}),
      3, "no space left on device");
}

TEST(HelpAndVersion, EveryProgramFailsWhenItsHelpOrVersionCannotBeWritten) {
  for (const Program& p : kPrograms) {
    for (const char* option : {"--help", "--version"}) {
      SCOPED_TRACE(std::string(p.path) + " " + option);
      expect_failed_output(run_via_shell(kStdoutFull, p.path, {option}), p.output_failure,
                           "no space left on device");
      expect_failed_output(run_via_shell(kStdoutClosed, p.path, {option}), p.output_failure,
                           "bad file descriptor");
    }
  }
}

}  // namespace
}  // namespace sockcalc::environment

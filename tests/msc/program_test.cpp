// SPDX-License-Identifier: MIT
// msc/program_test.cpp -- the --msc option of server, linksim and client, and the msc
// converter, as programs: a client through linksim at 30 % loss, every diagram rendered with
// mscgen and its arcs checked against what the programs logged (-v, linksim's summary); the
// converter's arcs from our reader and from tshark's reading compared; bad captures refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "msc/mscgen.hpp"
#include "support/process.hpp"

namespace sockcalc::msc_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kServer = SOCKCALC_SERVER_BIN;
const std::string kClient = SOCKCALC_CLIENT_BIN;
const std::string kLinksim = SOCKCALC_LINKSIM_BIN;
const std::string kMsc = SOCKCALC_MSC_BIN;
const std::string kCalcLua = CALC_LUA_PATH;
constexpr std::chrono::seconds kRunLimit{60};

std::optional<std::string> find_tool(const std::string& name) {
  return testing::find_program(name);
}

// The meaning part of each -v trace line ("... | sum, integer, ..."), of lines with `marker`.
std::vector<std::string> meanings(const std::string& log, const std::string& marker) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(log)) {
    if (line.find(marker) == std::string::npos) continue;
    const std::size_t bar = line.find(" | ");
    if (bar == std::string::npos) continue;
    std::string meaning = line.substr(bar + 3);
    if (const std::size_t arrow = meaning.find(" => "); arrow != std::string::npos) {
      meaning.resize(arrow);
    }
    out.push_back(meaning);
  }
  return out;
}

// The labels of `arcs` without their notes in parentheses.
std::vector<std::string> bare_labels(const std::vector<Row>& arcs) {
  std::vector<std::string> out;
  for (const Row& r : arcs) out.push_back(r.label.substr(0, r.label.find(" (")));
  return out;
}

std::size_t count(const std::vector<Row>& arcs, const std::string& kind) {
  return static_cast<std::size_t>(
      std::count_if(arcs.begin(), arcs.end(), [&](const Row& r) { return r.kind == kind; }));
}

// A number from linksim's summary: "forward (client -> server): received 3, passed 2, ...".
std::uint64_t summary_count(const std::string& log, const std::string& direction,
                            const std::string& what) {
  const std::regex re(direction + R"( \([^)]*\): .*\b)" + what + R"( (\d+))");
  std::smatch m;
  for (const std::string& line : lines_of(log)) {
    if (std::regex_search(line, m, re)) return std::stoull(m[1]);
  }
  ADD_FAILURE() << "no '" << what << "' for " << direction << " in:\n" << log;
  return 0;
}

// Renders `file` with mscgen; every arc's label must be drawn, in order (a box's label may be
// wrapped onto several lines to fit the box: not compared).
void expect_renders(const std::string& mscgen, const std::string& dir, const std::string& file) {
  const std::string text = read_file(file);
  const Rendering r = render_svg(mscgen, dir, "render-" + std::to_string(text.size()), text);
  ASSERT_TRUE(r.ok) << file << ":\n" << r.error << "\n" << text;
  std::size_t at = 0;
  for (const Row& row : arcs_of(text)) {
    const auto found = std::find(r.texts.begin() + static_cast<long>(at), r.texts.end(), row.label);
    ASSERT_NE(found, r.texts.end()) << "not drawn in order: " << row.label << "\n" << text;
    at = static_cast<std::size_t>(found - r.texts.begin()) + 1;
  }
}

class MscPrograms : public ::testing::Test {
 protected:
  void SetUp() override {
    mscgen_ = find_mscgen();
    if (!mscgen_)
      GTEST_SKIP() << "mscgen is not installed (Debian: mscgen; make check installs it)";
    auto dir = testing::TempDir::create();
    ASSERT_TRUE(dir) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  std::string file(const std::string& name) const { return dir_->path() + "/" + name; }

  std::optional<std::string> mscgen_;
  std::optional<testing::TempDir> dir_;
};

TEST_F(MscPrograms, ALossyLinkDrawnByEachProgramMatchesWhatEachLogged) {
  auto server =
      testing::ServerProcess::start(kServer, {"-v", "--msc", file("server.msc"), "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  // A fixed seed; loss each way, so that both a request and a reply are lost in a few calls.
  auto linksim = testing::Process::start(
      kLinksim, {"-v", "--seed", "3", "--loss", "30", "--dup", "10", "--msc", file("linksim.msc"),
                 "--pcap", file("linksim.pcap"), "::1", "0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(linksim) << linksim.error().message();
  const auto listening = (*linksim)->wait_for_line("linksim: listening on ", testing::kPatience);
  ASSERT_TRUE(listening) << (*linksim)->report();
  const std::string link_port =
      std::regex_replace(*listening, std::regex(R"(^\[::1\]:(\d+),.*)"), "$1");

  std::vector<testing::RunResult> calls;
  for (const char* last : {"9", "11", "13"}) {
    const std::string n = std::to_string(calls.size());
    calls.push_back(
        testing::run_program(kClient,
                             {"-v", "--msc", file("client" + n + ".msc"), "--pcap",
                              file("client" + n + ".pcap"), "--timeout", "40", "--retries", "20",
                              "-op", "+", "::1", link_port, "1", "3", "5", "7", last},
                             kRunLimit));
    ASSERT_TRUE(calls.back().status.exited_with(0)) << calls.back().report;
  }
  ASSERT_TRUE((*linksim)->terminate());
  ASSERT_TRUE((*server)->stop());
  const std::string link_log = (*linksim)->err();
  const std::string server_log = (*server)->process().err();

  // The client: one arc per -v line, labelled as -v describes it, and its result in a box.
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string msc = file("client" + std::to_string(i) + ".msc");
    SCOPED_TRACE(msc);
    expect_renders(*mscgen_, dir_->path(), msc);
    const std::vector<Row> arcs = arcs_of(read_file(msc));
    EXPECT_EQ(bare_labels(arcs), meanings(calls[i].err, "client: ")) << calls[i].report;
    EXPECT_EQ(rows_of(read_file(msc)).back().label, lines_of(calls[i].out).back());
  }

  // linksim: an arc for each datagram received and each copy sent; a lost arc for each drop.
  const std::string link_msc = read_file(file("linksim.msc"));
  expect_renders(*mscgen_, dir_->path(), file("linksim.msc"));
  const std::vector<Row> link_arcs = arcs_of(link_msc);
  std::uint64_t received = 0, sent = 0, dropped = 0;
  for (const char* d : {"forward", "reverse"}) {
    received += summary_count(link_log, d, "received");
    sent += summary_count(link_log, d, "passed") + summary_count(link_log, d, "duplicated");
    dropped += summary_count(link_log, d, "dropped");
  }
  ASSERT_GT(dropped, 0u) << "seed 3 at 30 % loss drops nothing any more: pick another\n"
                         << link_log;
  EXPECT_EQ(count(link_arcs, "-x"), dropped) << link_msc;
  EXPECT_EQ(count(link_arcs, "->"), received + sent) << link_msc;
  std::vector<std::string> dropped_logged;
  for (const std::string& line : lines_of(link_log)) {
    if (line.ends_with(" => drop")) dropped_logged.push_back(meanings(line, " | ").front());
  }
  std::vector<Row> lost;
  std::copy_if(link_arcs.begin(), link_arcs.end(), std::back_inserter(lost),
               [](const Row& r) { return r.kind == "-x"; });
  EXPECT_EQ(bare_labels(lost), dropped_logged);
  for (const Row& r : lost) {
    EXPECT_THAT(r.label, HasSubstr("(dropped by linksim)"));
    EXPECT_THAT(r.from, StartsWith("linksim\n"));
  }

  // The server: one arc per -v line.
  expect_renders(*mscgen_, dir_->path(), file("server.msc"));
  EXPECT_EQ(bare_labels(arcs_of(read_file(file("server.msc")))), meanings(server_log, "server: "));
  EXPECT_THAT(server_log, HasSubstr("wrote a diagram of "));

  // The converter: a client's capture gives the arcs the client drew itself.
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string n = std::to_string(i);
    const testing::RunResult converted = testing::run_program(
        kMsc, {"-o", file("converted" + n + ".msc"), file("client" + n + ".pcap")}, kRunLimit);
    ASSERT_TRUE(converted.status.exited_with(0)) << converted.report;
    expect_renders(*mscgen_, dir_->path(), file("converted" + n + ".msc"));
    EXPECT_EQ(arcs_of(read_file(file("converted" + n + ".msc"))),
              arcs_of(read_file(file("client" + n + ".msc"))));
  }
}

TEST_F(MscPrograms, TheConverterReadsACaptureAsTsharkAndTheDissectorDo) {
  const auto tshark = find_tool("tshark");
  if (!tshark) GTEST_SKIP() << "tshark is not installed (make check installs it)";
  auto server = testing::ServerProcess::start(kServer, {"::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  auto linksim =
      testing::Process::start(kLinksim, {"--seed", "5", "--loss", "30", "--pcap", file("link.pcap"),
                                         "::1", "0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(linksim) << linksim.error().message();
  const auto listening = (*linksim)->wait_for_line("linksim: listening on ", testing::kPatience);
  ASSERT_TRUE(listening) << (*linksim)->report();
  const std::string link_port =
      std::regex_replace(*listening, std::regex(R"(^\[::1\]:(\d+),.*)"), "$1");
  for (const char* op : {"+", "x"}) {
    const auto call = testing::run_program(
        kClient,
        {"-s", "--timeout", "40", "--retries", "20", "-op", op, "::1", link_port, "2", "3"},
        kRunLimit);
    ASSERT_TRUE(call.status.exited_with(0)) << call.report;
  }
  ASSERT_TRUE((*linksim)->terminate());
  const std::string ports = link_port + "," + (*server)->port_arg();
  const auto ours = testing::run_program(kMsc, {"--port", ports, file("link.pcap")}, kRunLimit);
  const auto theirs = testing::run_program(
      kMsc, {"--tshark", "--dissector", kCalcLua, "--port", ports, file("link.pcap")}, kRunLimit);
  ASSERT_TRUE(ours.status.exited_with(0)) << ours.report;
  ASSERT_TRUE(theirs.status.exited_with(0)) << theirs.report;
  const std::vector<Row> arcs = arcs_of(ours.out);
  EXPECT_GE(arcs.size(), 8u) << ours.out;  // two calls, each on both of linksim's sides
  EXPECT_EQ(arcs_of(theirs.out), arcs);
  EXPECT_EQ(theirs.out, ours.out);
  write_file(file("link.msc"), ours.out);
  expect_renders(*mscgen_, dir_->path(), file("link.msc"));
}

TEST_F(MscPrograms, BadCapturesAreRefusedWithTheirReason) {
  auto server = testing::ServerProcess::start(kServer, {"::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const auto call = testing::run_program(
      kClient, {"--pcap", file("good.pcap"), "-op", "+", "::1", (*server)->port_arg(), "1", "2"});
  ASSERT_TRUE(call.status.exited_with(0)) << call.report;
  const std::string good = read_file(file("good.pcap"));
  ASSERT_GT(good.size(), 24u + 16u);
  write_file(file("header.pcap"), good.substr(0, 10));
  write_file(file("record.pcap"), good.substr(0, 30));
  write_file(file("packet.pcap"), good.substr(0, good.size() - 3));
  write_file(file("text.pcap"), "not a capture at all\n");
  struct Case {
    std::string name;
    std::string says;
  };
  const std::vector<Case> cases{
      {"header.pcap", "header.pcap is truncated: a pcap file header has 24 bytes, the file has 10"},
      {"record.pcap",
       "record.pcap is truncated: record 1 (at byte 24) has 6 bytes of its 16-byte header"},
      {"packet.pcap", "packet.pcap is truncated: record 2"},
      {"text.pcap", "text.pcap is not a pcap file: it starts with 0x6e6f7420"},
      {"missing.pcap",
       "cannot read pcap file " + file("missing.pcap") + ": no such file or directory"},
  };
  for (const Case& c : cases) {
    const auto run = testing::run_program(kMsc, {"-o", file("out.msc"), file(c.name)});
    EXPECT_TRUE(run.status.exited_with(1)) << run.report;
    EXPECT_THAT(run.err,
                HasSubstr("msc: " + (c.name == "missing.pcap" ? "" : dir_->path() + "/") + c.says))
        << run.report;
    EXPECT_TRUE(run.out.empty()) << run.report;
  }
  if (find_tool("tshark")) {
    const auto run = testing::run_program(
        kMsc, {"--tshark", "--dissector", kCalcLua, file("packet.pcap")}, kRunLimit);
    EXPECT_TRUE(run.status.exited_with(1)) << run.report;
    EXPECT_THAT(run.err, HasSubstr("msc: tshark cannot read " + file("packet.pcap") + ": "));
    EXPECT_THAT(run.err, HasSubstr("cut short in the middle of a packet"));
  }
  const auto usage = testing::run_program(kMsc, {});
  EXPECT_TRUE(usage.status.exited_with(2)) << usage.report;
  EXPECT_THAT(usage.err, HasSubstr("missing CAPTURE"));
}

TEST(MscOption, AFileThatCannotBeCreatedStopsTheProgramAtStart) {
  const std::string path = "/nonexistent-directory/x.msc";
  const std::string says = "cannot open msc file " + path + ": no such file or directory";
  const auto client = testing::run_program(kClient, {"--msc", path, "-op", "+", "::1", "9", "1"});
  EXPECT_TRUE(client.status.exited_with(5)) << client.report;
  EXPECT_THAT(client.err, HasSubstr("client: " + says)) << client.report;
  const auto server = testing::run_program(kServer, {"--msc", path, "::1", "0"});
  EXPECT_TRUE(server.status.exited_with(1)) << server.report;
  EXPECT_THAT(server.err, HasSubstr("server: " + says)) << server.report;
  const auto linksim = testing::run_program(kLinksim, {"--msc", path, "::1", "0", "::1", "9"});
  EXPECT_TRUE(linksim.status.exited_with(1)) << linksim.report;
  EXPECT_THAT(linksim.err, HasSubstr("linksim: " + says)) << linksim.report;
}

}  // namespace
}  // namespace sockcalc::msc_test

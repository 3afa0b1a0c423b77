// SPDX-License-Identifier: MIT
// tools/msc/main.cpp -- the `msc` program: read a pcap capture (ours, through our reader; any
// other, through tshark and the calc dissector) and write its calc datagrams as a
// time-sequence diagram, mscgen input (docs/DIAGRAMS.md). Single-threaded.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "capture_chart.hpp"
#include "cli.hpp"
#include "options.hpp"
#include "sockcalc/capture/pcap_reader.hpp"
#include "tshark_reader.hpp"

namespace {

using namespace sockcalc;

constexpr int kExitUnreadable = 1;
constexpr int kExitOutput = 3;
constexpr std::uint16_t kDefaultPort = 10000;  // wire::kCoursePort, the dissector's default

constexpr std::string_view kHelp = R"(Usage: %prog% [options] CAPTURE
Draw the calc datagrams of a pcap capture as a time-sequence diagram: mscgen
input, one entity per address, one arc per datagram labelled as -v describes it
(render it with 'mscgen -T svg -o out.svg FILE').

  CAPTURE        a classic pcap file: the --pcap file of server, client or
                 linksim, or a capture of tcpdump (Ethernet, Linux cooked or
                 raw IP links); with --tshark, any capture tshark reads

Options:
%options%

A datagram is a request or a reply as the Wireshark dissector decides: to a
--port, a request; from one, a reply; otherwise the first datagram between two
addresses is a request.

Exit status:
  0  the diagram was written
  1  the capture cannot be read: missing, truncated, damaged, not a pcap file
     (a pcapng one needs --tshark), or tshark failed on it (its message is
     printed)
  2  usage error
  3  the diagram cannot be written (-o FILE, or stdout)

Examples:
  %prog% -o call.msc call.pcap && mscgen -T svg -o call.svg call.msc
                     the diagram of a capture (%prog:client% --pcap call.pcap ...)
  %prog% --tshark --port 4433 tcpdump.pcapng > exchange.msc
)";

struct Config {
  std::string output;
  std::vector<std::uint16_t> ports;
  bool tshark = false;
  std::string dissector;
  std::size_t max_arcs = msc::kDefaultMaxArcs;
};

std::vector<std::uint16_t> parse_ports_or_die(std::string_view text) {
  std::vector<std::uint16_t> ports;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    ports.push_back(static_cast<std::uint16_t>(
        cli::whole_or_die(text.substr(start, end - start), "port", 1, 65535)));
    start = end + 1;
  }
  return ports;
}

// calc.lua as installed (PREFIX/share/sockcalc/wireshark), beside the build tree's programs
// (build/PRESET/bin), or under the current directory (the repository's root).
std::string default_dissector() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::vector<std::filesystem::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../share/sockcalc/wireshark/calc.lua");
    candidates.push_back(exe.parent_path() / "../../../tools/wireshark/calc.lua");
  }
  candidates.emplace_back("tools/wireshark/calc.lua");
  for (const auto& c : candidates) {
    if (std::filesystem::is_regular_file(c, ec)) return c.lexically_normal().string();
  }
  return "";
}

cli::CommandLine command_line(Config& c) {
  std::string* output = &c.output;
  return {.help = kHelp,
          .column = 21,
          .options = {
              {.short_name = 'o',
               .name = "output",
               .arg = "FILE",
               .help = "write the diagram to FILE (default: stdout)",
               .set = cli::set_text(*output)},
              {.short_name = 'p',
               .name = "port",
               .arg = "PORTS",
               .help = "the servers' UDP ports, a comma list: '10000,4433'\n(default 10000); with "
                       "--tshark, the dissector's calc.ports",
               .set = [&c](std::string_view v) { c.ports = parse_ports_or_die(v); }},
              {.name = "tshark",
               .help = "read CAPTURE with tshark and the calc dissector (pcapng,\nany link type "
                       "tshark reads; IP captures only)",
               .set = cli::set_flag(c.tshark)},
              {.name = "dissector",
               .arg = "FILE",
               .help = "the calc dissector for --tshark (default: calc.lua as\ninstalled, "
                       "share/sockcalc/wireshark/calc.lua)",
               .set = cli::set_text(c.dissector)},
              {.name = "max-arcs",
               .arg = "N",
               .help = "draw at most N datagrams, 1..1000000 (default 2000); a\nlast row counts "
                       "the rest",
               .set = cli::set_whole(c.max_arcs, "max arcs", 1, 1'000'000)},
          }};
}

Result<msc::Chart> chart_of_capture(const Config& c, const std::string& capture) {
  if (c.tshark) {
    msc_tool::TsharkOptions t{.dissector = c.dissector.empty() ? default_dissector() : c.dissector,
                              .capture = capture,
                              .ports = c.ports};
    if (t.dissector.empty()) {
      cli::usage_error("--tshark: calc.lua not found; give it with --dissector FILE");
    }
    if (::access(capture.c_str(), R_OK) != 0) {
      return errno_error(errno, "cannot read capture " + capture);
    }
    auto read = msc_tool::read_with_tshark(t);
    if (!read) return read.error();
    std::vector<capture::CapturedDatagram> datagrams;
    std::vector<msc::Role> roles;
    for (auto& d : *read) {
      datagrams.push_back(std::move(d.datagram));
      roles.push_back(d.role);
    }
    return msc_tool::chart_of(datagrams, roles, c.max_arcs);
  }
  auto read = capture::read_pcap_file(capture);
  if (!read) return read.error();
  return msc_tool::chart_of(read->datagrams, msc_tool::roles_of(read->datagrams, c.ports),
                            c.max_arcs);
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitOutput);
  Config c;
  const std::vector<std::string> args = cli::parse_or_exit(command_line(c), argc, argv);
  if (args.empty()) cli::usage_error("missing CAPTURE: give a pcap file");
  if (args.size() > 1) cli::usage_error("unexpected argument '" + args[1] + "'");
  if (c.ports.empty()) c.ports = {kDefaultPort};
  auto chart = chart_of_capture(c, args[0]);
  if (!chart) cli::die(chart.error().message(), kExitUnreadable);
  const std::string text = chart->render();
  if (c.output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(c.output, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (!out || !out.flush()) cli::die("cannot write " + c.output, kExitOutput);
  return 0;
}

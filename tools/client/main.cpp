// SPDX-License-Identifier: MIT
// tools/client/main.cpp -- the `client` program: parse the command line, send one calc
// request, print "Result: N" or say why not. Single-threaded; the exchange is
// client::call_first().
#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "msc_option.hpp"
#include "options.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;

// Exit statuses, one per way a call can end (listed in --help and README.md).
constexpr int kExitOk = 0;
constexpr int kExitErrorReply = 1;
constexpr int kExitMalformed = 3;
constexpr int kExitNoReply = 4;
constexpr int kExitSystem = 5;

// The --help text around the option table (options_of), whose descriptions start at kHelpColumn.
constexpr std::size_t kHelpColumn = 21;
constexpr std::string_view kHelp = R"(Usage: %prog% -op OP [-s] [options] HOST PORT INT...
  or:  %prog% -op OP [-s] [options] unix:PATH INT...
Ask a calc server for the sum or product of 1 to 64 integers and print "Result: N".

  HOST           server address or name: '::1', '127.0.0.1', 'localhost', ...
                 (every address of a name is tried until one does not refuse);
                 a link-local address with its interface, 'fe80::1%eth0'; an
                 IPv6 address may be bracketed, '[::1]', as programs print it
  PORT           server UDP port, 1..65535
  unix:PATH      a server on a Unix-domain socket (unix:@NAME: abstract name;
                 \xHH stands for a byte, \\ for a backslash, as printed)
  INT            1 to 64 integers, each 0..4294967295 in decimal

Options:
%options%

Exit status:
  0  success: "Result: N" on stdout
  1  the server answered with an error reply (its reason is printed)
  2  usage error: bad option, operation, host, port or integer; nothing sent
  3  the reply was malformed (it broke the protocol)
  4  no reply: every try timed out, or the server refused (nobody listening);
     or the name server did not answer (HOST cannot be resolved now)
  5  a local system error: cannot create a socket, cannot write the result to
     stdout, or cannot write the --pcap capture or the --msc diagram (the
     result is printed all the same)

Examples:
  %prog% -op + ::1 10000 1 3 5 7 9          Result: 25
  %prog% -op x -s ::1 10000 1 3 5 7 9       Result: 945
)";

struct Config {
  protocol::Request request;
  bool have_op = false;
  client::CallOptions call;
  bool verbose = false;
  std::string pcap_path;
  std::string msc_path;
  std::vector<std::string> positionals;
};

protocol::Op parse_op_or_die(std::string_view text) {
  if (text == "+" || text == "sum") return protocol::Op::sum;
  if (text == "*" || text == "x" || text == "product") return protocol::Op::product;
  cli::usage_error("invalid operation '" + std::string(text) +
                   "': must be +, sum, *, x or product (quote '*' so the shell does not "
                   "expand it)");
}

// The --pcap capture. A record that cannot be written (a full disk) is said once on stderr and
// ends the capture; the call goes on and prints its result, and main() then exits kExitSystem:
// a capture asked for and not made is a local failure, as a result not written is.
struct Capture {
  std::optional<capture::PcapWriter> writer;
  bool failed = false;

  void record(client::Direction direction, const Address& local, const Address& peer,
              protocol::Bytes d) {
    const bool sent = direction == client::Direction::sent;
    if (!writer || failed) return;
    const auto now = std::chrono::system_clock::now();
    const Status st =
        sent ? writer->write(local, peer, d, now) : writer->write(peer, local, d, now);
    if (!st) fail(st.error());
  }

  // Closes the file; returns whether the capture is complete (or none was asked for).
  bool finish() {
    if (writer && !failed) {
      if (const Status st = writer->close(); !st) fail(st.error());
    }
    return !failed;
  }

  void fail(const Error& e) {
    failed = true;
    std::cerr << cli::program() << ": " << e.message() << "; the capture stops here\n";
  }
};

bool looks_negative(const char* arg) { return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9'; }

// The options: what each one sets in `c`.
std::vector<cli::Option> options_of(Config& c) {
  constexpr std::uint64_t kMaxWaitMs = 3'600'000;
  constexpr std::uint64_t kMaxRetries = 100;
  return {
      {.short_name = 'o',
       .name = "op",
       .arg = "OP",
       .help = "the operation, required: '+' or 'sum'; '*', 'x' or\n"
               "'product' (quote '*' from the shell). Arithmetic wraps\n"
               "modulo 2^32",
       .set =
           [&c](std::string_view v) {
             c.request.op = parse_op_or_die(v);
             c.have_op = true;
           },
       .alias = "-op"},
      {.short_name = 's',
       .name = "string",
       .help = "ask for the result as a decimal string (default: a 32-bit\n"
               "integer); the printed result is the same",
       .set = [&c](std::string_view) { c.request.format = protocol::Format::string; }},
      {.short_name = 't',
       .name = "timeout",
       .arg = "MS",
       .help = "wait before the first retransmission, in milliseconds\n"
               "(default 250); each next wait doubles, up to --max-timeout",
       .set = cli::set_whole(c.call.timeout, "timeout", 1, kMaxWaitMs)},
      {.name = "max-timeout",
       .arg = "MS",
       .help = "longest wait between two tries (default 1000)",
       .set = cli::set_whole(c.call.max_timeout, "max-timeout", 1, kMaxWaitMs)},
      {.short_name = 'r',
       .name = "retries",
       .arg = "N",
       .help = "retransmissions after the first try (default 7: up to 8\n"
               "datagrams over 6.75 s with the default timeouts)",
       .set = cli::set_whole(c.call.retries, "retries", 0, kMaxRetries)},
      {.short_name = 'v',
       .name = "verbose",
       .help = "print every datagram sent and received: peer, bytes in\n"
               "hex, meaning (on stderr)",
       .set = cli::set_flag(c.verbose)},
      {.name = "pcap",
       .arg = "FILE",
       .help = "write every datagram sent and received to FILE, a pcap\n"
               "capture Wireshark opens (docs/WIRESHARK.md)",
       .set = cli::set_text(c.pcap_path)},
      {.name = "msc",
       .arg = "FILE",
       .help = "write the exchange to FILE as a time-sequence diagram,\n"
               "mscgen input: one arc per datagram, timeouts and the\n"
               "outcome as boxes (docs/DIAGRAMS.md)",
       .set = cli::set_text(c.msc_path)},
  };
}

Config parse(int argc, char** argv) {
  // A negative number would otherwise read as an unknown option: name it for what it is.
  for (int i = 1; i < argc; ++i) {
    if (looks_negative(argv[i])) {
      cli::usage_error(std::string("invalid integer '") + argv[i] +
                       "': must be 0..4294967295 (no sign)");
    }
  }
  Config c;
  const cli::CommandLine command{.help = kHelp,
                                 .column = kHelpColumn,
                                 .spelling = cli::Spelling::long_only,
                                 .options = options_of(c)};
  c.positionals = cli::parse_or_exit(command, argc, argv);
  return c;
}

void add_operands_or_die(protocol::Request& request, const std::vector<std::string>& ints) {
  if (ints.empty()) cli::usage_error("missing INT: give 1 to 64 integers");
  if (ints.size() > wire::kMaxOperands) {
    cli::usage_error("too many integers (" + std::to_string(ints.size()) + "): at most 64");
  }
  for (const std::string& text : ints) {
    request.operands.push_back(static_cast<std::uint32_t>(
        cli::whole_or_die(text, "integer", 0, std::numeric_limits<std::uint32_t>::max())));
  }
}

void trace(client::Direction direction, const Address& peer, protocol::Bytes datagram,
           protocol::Format format) {
  const bool sent = direction == client::Direction::sent;
  const std::string meaning =
      sent ? protocol::describe_request(datagram) : protocol::describe_reply(datagram, format);
  std::cerr << cli::program() << ": "
            << cli::trace_line(sent ? "to" : "from", peer, datagram, datagram.size(), meaning)
            << '\n';
}

// The --msc diagram: every datagram of the call as an arc, and how the call ended as a box
// on the client's line.
struct Diagram {
  std::optional<cli::MscFile> file;
  std::string client;  // the entity of the client's socket, once it has sent

  void record(client::Direction direction, const Address& local, const Address& peer,
              protocol::Bytes d) {
    if (!file) return;
    const bool sent = direction == client::Direction::sent;
    client = cli::entity_of(local);
    msc::Datagram arc;
    arc.when = msc::Clock::now();
    arc.from = sent ? client : cli::entity_of(peer);
    arc.to = sent ? cli::entity_of(peer) : client;
    arc.bytes.assign(d.begin(), d.end());
    arc.wire_length = d.size();
    arc.role = sent ? msc::Role::request : msc::Role::reply;
    file->add(std::move(arc));
  }

  // Writes the file; returns whether it was written (or none was asked for).
  bool finish(const client::CallResult& r) {
    if (!file) return true;
    if (!client.empty()) file->mark(client, outcome(r));
    if (const Status st = file->finish(); !st) {
      std::cerr << cli::program() << ": " << st.error().message() << '\n';
      return false;
    }
    return true;
  }

  static std::string outcome(const client::CallResult& r) {
    switch (r.status) {
      case client::CallStatus::success:
        return "Result: " + std::to_string(r.value);
      case client::CallStatus::error_reply:
        return "error reply";
      case client::CallStatus::malformed:
        return "malformed reply: " + std::string(protocol::to_string(r.malformed));
      case client::CallStatus::refused:
        return "connection refused";
      case client::CallStatus::no_reply:
        return "no reply after " + std::to_string(r.tries) + (r.tries == 1 ? " try" : " tries");
    }
    return "";
  }
};

int report(const client::CallResult& r, const client::CallOptions& options) {
  const std::string peer = r.peer.to_string();
  switch (r.status) {
    case client::CallStatus::success:
      // Not flushed here: the check of stdout at exit (cli::start_program) flushes it and
      // turns a result that could not be written into kExitSystem, with the reason.
      std::cout << "Result: " << r.value << '\n';
      return kExitOk;
    case client::CallStatus::error_reply: {
      const std::span<const std::byte> reason(reinterpret_cast<const std::byte*>(r.reason.data()),
                                              r.reason.size());
      const std::string text = printable_or_empty(reason);
      std::cerr << cli::program() << ": server " << peer << " answered with an error"
                << (r.reason.empty() ? " (no reason given)"
                    : text.empty()   ? " (reason not printable: " + course_hex(reason) + ")"
                                     : ": " + text)
                << '\n';
      return kExitErrorReply;
    }
    case client::CallStatus::malformed:
      std::cerr << cli::program() << ": malformed reply from " << peer << ": "
                << protocol::to_string(r.malformed)
                << (r.reply.empty() ? "" : " (" + course_hex(r.reply) + ")") << '\n';
      return kExitMalformed;
    case client::CallStatus::refused:
      std::cerr << cli::program() << ": no reply from " << peer
                << ": connection refused (is a server running there?)\n";
      return kExitNoReply;
    case client::CallStatus::no_reply:
      std::cerr << cli::program() << ": no reply from " << peer << " after " << r.tries
                << (r.tries == 1 ? " try" : " tries") << " (timeout " << options.timeout.count()
                << " ms, doubling up to " << options.max_timeout.count() << " ms)\n";
      return kExitNoReply;
  }
  return kExitSystem;
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitSystem);
  Config c = parse(argc, argv);
  if (!c.have_op) cli::usage_error("missing -op OP (+ or *)");
  const auto& pos = c.positionals;
  if (pos.empty()) cli::usage_error("missing HOST PORT (or unix:PATH) and integers");
  const std::size_t first_int = is_unix_spec(pos[0]) ? 1 : 2;
  add_operands_or_die(c.request, {pos.begin() + std::min(first_int, pos.size()), pos.end()});
  const auto candidates = cli::resolve_or_die(pos[0], pos.size() > 1 ? &pos[1] : nullptr,
                                              Purpose::connect, kExitNoReply);
  if (candidates.front().port() == 0 && !candidates.front().is_unix()) {
    cli::usage_error("invalid port '0': a server cannot listen there");
  }
  Capture capture;
  if (!c.pcap_path.empty()) {
    auto writer = capture::PcapWriter::open(c.pcap_path, capture::link_for(candidates.front()));
    if (!writer) cli::die(writer.error().message(), kExitSystem);
    capture.writer.emplace(std::move(*writer));
  }
  Diagram diagram;
  if (!c.msc_path.empty()) {
    auto file = cli::MscFile::create(c.msc_path);
    if (!file) cli::die(file.error().message(), kExitSystem);
    diagram.file.emplace(c.msc_path, *file);
  }
  if (c.verbose || capture.writer || diagram.file) {
    c.call.trace = [&c, &capture, &diagram](client::Direction direction, const Address& local,
                                            const Address& peer, protocol::Bytes d) {
      if (c.verbose) trace(direction, peer, d, c.request.format);
      capture.record(direction, local, peer, d);
      diagram.record(direction, local, peer, d);
    };
  }
  auto result = client::call_first(candidates, c.request, c.call);
  if (!result) cli::die(result.error().message(), kExitSystem);
  const int status = report(*result, c.call);
  const bool captured = capture.finish();
  const bool drawn = diagram.finish(*result);
  return status == kExitOk && !(captured && drawn) ? kExitSystem : status;
}

// SPDX-License-Identifier: MIT
// tools/client/main.cpp -- the `client` program: parse the command line, send one calc
// request, print "Result: N" or say why not. Single-threaded; the exchange is
// client::call_first().
#include <getopt.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
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

constexpr const char* kHelp = R"(Usage: %prog% -op OP [-s] [options] HOST PORT INT...
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
  -o, -op, --op OP   the operation, required: '+' or 'sum'; '*', 'x' or
                     'product' (quote '*' from the shell). Arithmetic wraps
                     modulo 2^32
  -s, --string       ask for the result as a decimal string (default: a 32-bit
                     integer); the printed result is the same
  -t, --timeout MS   wait before the first retransmission, in milliseconds
                     (default 250); each next wait doubles, up to --max-timeout
      --max-timeout MS
                     longest wait between two tries (default 1000)
  -r, --retries N    retransmissions after the first try (default 7: up to 8
                     datagrams over 6.75 s with the default timeouts)
  -v, --verbose      print every datagram sent and received: peer, bytes in
                     hex, meaning (on stderr)
      --pcap FILE    write every datagram sent and received to FILE, a pcap
                     capture Wireshark opens (docs/WIRESHARK.md)
  -h, --help         show this help and exit
  -V, --version      show the version and exit

Exit status:
  0  success: "Result: N" on stdout
  1  the server answered with an error reply (its reason is printed)
  2  usage error: bad option, operation, host, port or integer; nothing sent
  3  the reply was malformed (it broke the protocol)
  4  no reply: every try timed out, or the server refused (nobody listening);
     or the name server did not answer (HOST cannot be resolved now)
  5  a local system error: cannot create a socket, cannot write the result to
     stdout, or cannot write the --pcap capture (the result is printed all the
     same)

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

Config parse(int argc, char** argv) {
  // A negative number would otherwise read as an unknown option: name it for what it is.
  for (int i = 1; i < argc; ++i) {
    if (looks_negative(argv[i])) {
      cli::usage_error(std::string("invalid integer '") + argv[i] +
                       "': must be 0..4294967295 (no sign)");
    }
  }
  static const option kLong[] = {{"op", required_argument, nullptr, 'o'},
                                 {"string", no_argument, nullptr, 's'},
                                 {"timeout", required_argument, nullptr, 't'},
                                 {"retries", required_argument, nullptr, 'r'},
                                 {"max-timeout", required_argument, nullptr, 'm'},
                                 {"pcap", required_argument, nullptr, 'C'},
                                 {"verbose", no_argument, nullptr, 'v'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  Config c;
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long_only(argc, argv, ":o:st:r:m:vhV", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'o':
        c.request.op = parse_op_or_die(optarg);
        c.have_op = true;
        break;
      case 's':
        c.request.format = protocol::Format::string;
        break;
      case 't':
        c.call.timeout =
            std::chrono::milliseconds(cli::parse_number_or_die(optarg, "timeout", 1, 3'600'000));
        break;
      case 'C':
        c.pcap_path = optarg;
        break;
      case 'm':
        c.call.max_timeout = std::chrono::milliseconds(
            cli::parse_number_or_die(optarg, "max-timeout", 1, 3'600'000));
        break;
      case 'r':
        c.call.retries = static_cast<int>(cli::parse_number_or_die(optarg, "retries", 0, 100));
        break;
      case 'v':
        c.verbose = true;
        break;
      default:
        cli::finish_option(opt, kHelp, argv);  // --help, --version, or a usage error: exits
    }
  }
  for (int i = optind; i < argc; ++i) c.positionals.emplace_back(argv[i]);
  return c;
}

void add_operands_or_die(protocol::Request& request, const std::vector<std::string>& ints) {
  if (ints.empty()) cli::usage_error("missing INT: give 1 to 64 integers");
  if (ints.size() > wire::kMaxOperands) {
    cli::usage_error("too many integers (" + std::to_string(ints.size()) + "): at most 64");
  }
  for (const std::string& text : ints) {
    const auto v = cli::parse_u32(text);
    if (!v) cli::usage_error("invalid integer '" + text + "': must be 0..4294967295");
    request.operands.push_back(*v);
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
  if (c.verbose || capture.writer) {
    c.call.trace = [&c, &capture](client::Direction direction, const Address& local,
                                  const Address& peer, protocol::Bytes d) {
      if (c.verbose) trace(direction, peer, d, c.request.format);
      capture.record(direction, local, peer, d);
    };
  }
  auto result = client::call_first(candidates, c.request, c.call);
  if (!result) cli::die(result.error().message(), kExitSystem);
  const int status = report(*result, c.call);
  const bool captured = capture.finish();
  return status == kExitOk && !captured ? kExitSystem : status;
}

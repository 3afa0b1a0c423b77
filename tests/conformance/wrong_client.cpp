// SPDX-License-Identifier: MIT
// tests/conformance/wrong_client.cpp -- test-only program: a calc client with one named
// mistake. It makes the exchange with the project's client (client::Client, which checks the
// reply with the codec), then misbehaves in the way --mistake names. Single-threaded.
//
//   wrong_client --mistake NAME -op OP [-s] HOST PORT INT...
//
// Exit statuses as the real client's: 0 result, 1 error reply, 3 malformed, 4 no reply.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace {

using namespace sockcalc;

enum class Mistake {
  none,                // the right client: a control
  no_retransmission,   // sends once, never again
  ignores_status,      // does not look at S: an error reply is decoded as a result
  unused_bits_matter,  // demands a header of exactly 80 (success) or 00 (error)
  little_endian,       // reads the integer result little-endian
  accepts_non_digit,   // a string result is read up to its first non-digit
  hangs,               // never exits after the exchange
  // Not a mistake: legal, but not what our client sends (conformance warns).
  sets_unused_bits,      // requests with the 4 unused header bits set
  accepts_leading_zero,  // believes a string result with a leading '0' ("0945" is 945)
};

const std::map<std::string, Mistake>& mistakes() {
  static const std::map<std::string, Mistake> m = {
      {"none", Mistake::none},
      {"no-retransmission", Mistake::no_retransmission},
      {"ignores-status", Mistake::ignores_status},
      {"unused-bits-matter", Mistake::unused_bits_matter},
      {"little-endian", Mistake::little_endian},
      {"accepts-non-digit", Mistake::accepts_non_digit},
      {"hangs", Mistake::hangs},
      {"sets-unused-bits", Mistake::sets_unused_bits},
      {"accepts-leading-zero", Mistake::accepts_leading_zero},
  };
  return m;
}

// Short waits, so that the tests that run this program stay fast: 200 ms, then 400 ms (x4).
constexpr std::chrono::milliseconds kTimeout{200};
constexpr std::chrono::milliseconds kMaxTimeout{400};
constexpr int kRetries = 4;
// no-retransmission waits this long for its single try.
constexpr std::chrono::milliseconds kSingleWait{1000};
// hangs: how long it stays; far beyond any check's timeout, bounded so it cannot leak.
constexpr std::chrono::seconds kHang{60};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "wrong_client: " << message
            << "\nusage: wrong_client --mistake NAME -op OP [-s] HOST PORT INT...\n";
  std::exit(2);
}

int print_result(std::uint32_t value) {
  std::cout << "Result: " << value << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2 || args[0] != "--mistake") usage("missing --mistake NAME");
  const auto it = mistakes().find(args[1]);
  if (it == mistakes().end()) usage("unknown mistake '" + args[1] + "'");
  const Mistake mistake = it->second;
  protocol::Request request;
  std::vector<std::string> positionals;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "-op" && i + 1 < args.size()) {
      request.op = args[++i] == "*" ? protocol::Op::product : protocol::Op::sum;
    } else if (args[i] == "-s") {
      request.format = protocol::Format::string;
    } else {
      positionals.push_back(args[i]);
    }
  }
  if (positionals.size() < 3) usage("missing HOST PORT INT...");
  if (mistake == Mistake::sets_unused_bits) request.unused = 0xF;
  for (std::size_t i = 2; i < positionals.size(); ++i) {
    request.operands.push_back(static_cast<std::uint32_t>(std::stoul(positionals[i])));
  }
  auto port = parse_port(positionals[1]);
  if (!port) usage(port.error().message());
  auto servers = Address::resolve(positionals[0], *port, Purpose::connect);
  if (!servers) usage(servers.error().message());

  client::CallOptions options;
  options.timeout = mistake == Mistake::no_retransmission ? kSingleWait : kTimeout;
  options.max_timeout = kMaxTimeout;
  options.retries = mistake == Mistake::no_retransmission ? 0 : kRetries;
  auto result = client::call_first(*servers, request, options);
  if (!result) return 5;
  if (mistake == Mistake::hangs) std::this_thread::sleep_for(kHang);
  const client::CallResult& r = *result;
  const auto header = r.reply.empty() ? 0u : std::to_integer<unsigned>(r.reply[0]);
  switch (r.status) {
    case client::CallStatus::success:
      if (mistake == Mistake::unused_bits_matter && header != wire::kStatusMask) {
        std::cerr << "wrong_client: malformed reply: header is not 0x80\n";
        return 3;
      }
      if (mistake == Mistake::little_endian && request.format == protocol::Format::integer) {
        return print_result(__builtin_bswap32(r.value));
      }
      return print_result(r.value);
    case client::CallStatus::error_reply:
      if (mistake == Mistake::ignores_status) {
        std::vector<std::byte> as_success = r.reply;
        as_success[0] |= std::byte{wire::kStatusMask};
        const auto d = protocol::decode_reply(as_success, request.format);
        if (d.ok()) return print_result(d.reply.value);
      }
      std::cerr << "wrong_client: error reply\n";
      return 1;
    case client::CallStatus::malformed:
      if (mistake == Mistake::accepts_non_digit && request.format == protocol::Format::string &&
          r.malformed == protocol::ReplyError::not_a_digit) {
        std::uint64_t value = 0;
        std::size_t digits = 0;
        for (std::size_t i = wire::kHeaderSize; i < r.reply.size(); ++i, ++digits) {
          const auto c = std::to_integer<unsigned>(r.reply[i]);
          if (c < '0' || c > '9') break;
          value = value * 10 + (c - '0');
        }
        if (digits > 0) return print_result(static_cast<std::uint32_t>(value));
      }
      if (mistake == Mistake::accepts_leading_zero &&
          r.malformed == protocol::ReplyError::leading_zero) {
        std::vector<std::byte> canonical = r.reply;
        while (canonical.size() > wire::kHeaderSize + 1 &&
               canonical[wire::kHeaderSize] == std::byte{'0'}) {
          canonical.erase(canonical.begin() + wire::kHeaderSize);
        }
        const auto d = protocol::decode_reply(canonical, request.format);
        if (d.ok()) return print_result(d.reply.value);
      }
      std::cerr << "wrong_client: malformed reply\n";
      return 3;
    case client::CallStatus::no_reply:
    case client::CallStatus::refused:
      std::cerr << "wrong_client: no reply\n";
      return 4;
  }
  return 5;
}

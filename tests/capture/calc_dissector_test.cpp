// SPDX-License-Identifier: MIT
// capture/calc_dissector_test.cpp -- tests/capture: tools/wireshark/calc.lua run by tshark.
// Writes captures of every kind of calc message, good and bad (built with the codec and the
// server's answer() only, malformed ones by mutating their bytes), over IPv6, IPv4 and Unix
// sockets, and compares tshark's fields and expert infos with what the codec says (P-3..P-11).
// Single-threaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capture/tshark.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace {

using sockcalc::Address;
using sockcalc::capture::Link;
using sockcalc::capture::PcapWriter;
using sockcalc::capture_test::lines_of;
using sockcalc::capture_test::run_tshark;
using sockcalc::capture_test::ScratchDir;
using sockcalc::capture_test::ToolRun;
namespace protocol = sockcalc::protocol;
namespace wire = sockcalc::wire;
using protocol::Format;
using protocol::Op;
using Datagram = std::vector<std::byte>;

// ---- Building messages: the codec's encoders, then mutations of their bytes. ----

Datagram encode(Op op, Format format, std::initializer_list<std::uint32_t> values,
                std::uint8_t unused = 0) {
  protocol::Request r{op, format, unused, protocol::OperandList(values)};
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const std::size_t n = protocol::encode_request(r, buf);
  EXPECT_GT(n, 0u);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

Datagram encode_many(Op op, Format format, std::size_t count) {
  protocol::Request r{op, format, 0, {}};
  for (std::size_t i = 0; i < count; ++i)
    r.operands.push_back(static_cast<std::uint32_t>(i * 0x01000193u + 7));
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const std::size_t n = protocol::encode_request(r, buf);
  EXPECT_GT(n, 0u);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

// The reply our server sends to `request` (protocol::answer, the server's own code).
Datagram answer(const Datagram& request) {
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const auto a = sockcalc::protocol::answer(request, request.size(), buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(a.size)};
}

Datagram success(std::uint32_t value, Format format) {
  std::array<std::byte, wire::kMaxSuccessReplySize> buf{};
  const std::size_t n = protocol::encode_success_reply(value, format, buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

Datagram with_opcode(Datagram d, std::uint8_t opcode) {
  d[0] = (d[0] & ~std::byte{wire::kOpcodeMask}) |
         std::byte(static_cast<std::uint8_t>(opcode << wire::kOpcodeShift));
  return d;
}
Datagram first(const Datagram& d, std::size_t n) {
  return {d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n)};
}
Datagram append(Datagram d, const Datagram& more) {
  d.insert(d.end(), more.begin(), more.end());
  return d;
}
Datagram set_byte(Datagram d, std::size_t at, int value) {
  d.at(at) = std::byte(value);
  return d;
}

// One request and its reply between one client and the server; either may be absent.
struct Exchange {
  std::string label;
  std::optional<Datagram> request;
  std::optional<Datagram> reply;
};

std::vector<Exchange> every_kind_of_message() {
  std::vector<Exchange> x;
  auto add = [&x](std::string label, std::optional<Datagram> request,
                  std::optional<Datagram> reply) {
    x.push_back({std::move(label), std::move(request), std::move(reply)});
  };
  auto exchange = [&add](std::string label, const Datagram& request) {
    add(std::move(label), request, answer(request));
  };
  // The course's two examples (docs/PROTOCOL.md, worked examples).
  exchange("course example: sum, integer", encode(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  exchange("course example: product, string", encode(Op::product, Format::string, {1, 3, 5, 7, 9}));
  // P-9 wrap-around, both formats.
  exchange("sum wraps", encode(Op::sum, Format::integer, {0xFFFFFFFF, 0xFFFFFFFF, 3}));
  exchange("product wraps to 0", encode(Op::product, Format::string, {65536, 65536}));
  exchange("largest string", encode(Op::sum, Format::string, {0xFFFFFFFF}));
  // P-6 limits.
  exchange("64 integers", encode_many(Op::sum, Format::integer, wire::kMaxOperands));
  const Datagram max = encode_many(Op::product, Format::string, wire::kMaxOperands);
  exchange("65 integers", append(max, Datagram(max.end() - wire::kOperandSize, max.end())));
  // P-3 unused bits, ignored.
  exchange("unused bits set", encode(Op::sum, Format::string, {40, 2}, 0xA));
  // P-4 undefined opcodes.
  exchange("opcode 2", with_opcode(encode(Op::sum, Format::integer, {1, 2}), 2));
  exchange("opcode 7, string", with_opcode(encode(Op::product, Format::string, {1}), 7));
  // P-6 lengths, P-8 error replies cut to the request's length.
  exchange("empty request", Datagram{});
  exchange("1-byte request", first(encode(Op::sum, Format::integer, {1}), 1));
  exchange("misaligned request", first(encode(Op::sum, Format::integer, {1, 2}), 8));
  exchange("misaligned 2-byte request", first(encode(Op::product, Format::string, {1}), 2));
  // P-10/P-11 malformed replies.
  const Datagram int_request = encode(Op::sum, Format::integer, {7, 8});
  add("3-byte integer reply", int_request, first(answer(int_request), 4));
  add("5-byte integer reply", int_request, append(answer(int_request), {std::byte{0}}));
  add("empty reply", int_request, Datagram{});
  const Datagram str_request = encode(Op::product, Format::string, {3, 5, 7, 9});  // "945"
  add("NUL in string reply", str_request, set_byte(answer(str_request), 2, 0));
  add("sign in string reply", str_request, set_byte(answer(str_request), 1, '-'));
  add("leading zero", str_request, set_byte(answer(str_request), 1, '0'));
  add("string with no digit", str_request, first(answer(str_request), 1));
  const Datagram max_request = encode(Op::sum, Format::string, {0xFFFFFFFF});
  add("over-long string", max_request, append(answer(max_request), {std::byte{'7'}}));
  add("string above 2^32-1", max_request, set_byte(answer(max_request), 1, '5'));
  add("reply unused bits set", int_request,
      set_byte(answer(int_request), 0, wire::kStatusMask | 0x2A));
  const Datagram bad = with_opcode(encode(Op::sum, Format::integer, {1, 2, 3}), 5);
  add("NUL in error reason", bad, set_byte(answer(bad), 3, 0));
  // Replies whose request is not in the capture: the dissector guesses the format.
  add("orphan integer reply", std::nullopt, success(1234, Format::integer));
  add("orphan string reply", std::nullopt, success(945, Format::string));
  return x;
}

// ---- Expected tshark output, computed from the datagrams with the codec. ----

const char* const kFields[] = {
    "frame.number",       "calc.type",    "calc.unused",     "calc.opcode", "calc.format",
    "calc.count",         "calc.operand", "calc.request_in", "calc.status", "calc.reply_unused",
    "calc.result_format", "calc.result",  "calc.result_str", "calc.reason", "_ws.expert.message"};

std::uint8_t byte0(const Datagram& d) { return std::to_integer<std::uint8_t>(d.at(0)); }
std::string text_of(const Datagram& d, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < d.size(); ++i) s += static_cast<char>(d[i]);
  return s;
}
std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}
std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}
std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> cols(1);
  for (char ch : line) {
    if (ch == sep) {
      cols.emplace_back();
    } else {
      cols.back() += ch;
    }
  }
  return cols;
}
bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The whole integers a request holds, read with the codec in slices of at most 64 (a slice's
// header has its opcode set to sum, so that the codec reads any request's integers).
std::vector<std::string> operands_of(const Datagram& d) {
  std::vector<std::string> out;
  const std::size_t whole = (d.size() - wire::kHeaderSize) / wire::kOperandSize;
  for (std::size_t done = 0; done < whole;) {
    const std::size_t n = std::min(whole - done, wire::kMaxOperands);
    Datagram slice = with_opcode(first(d, wire::kHeaderSize), wire::kOpcodeSum);
    const auto from =
        d.begin() + static_cast<std::ptrdiff_t>(wire::kHeaderSize + done * wire::kOperandSize);
    slice.insert(slice.end(), from, from + static_cast<std::ptrdiff_t>(n * wire::kOperandSize));
    const auto decoded = protocol::decode_request(slice);
    EXPECT_TRUE(decoded.ok());
    for (std::uint32_t v : decoded.request.operands.values()) out.push_back(std::to_string(v));
    done += n;
  }
  return out;
}

const std::string kUnusedBits = "unused bits set (receivers ignore them)";

std::string request_row(const Datagram& d) {
  // type|unused|opcode|format|count|operands|request_in|status|reply_unused|format|result|str|reason
  std::vector<std::string> f{"0"};
  std::vector<std::string> experts;
  const auto decoded = protocol::decode_request(d);
  if (d.empty()) {
    f.resize(13);
  } else {
    const std::uint8_t b = byte0(d);
    f.push_back(hex2((b & wire::kRequestUnusedMask) >> wire::kRequestUnusedShift));
    f.push_back(std::to_string((b & wire::kOpcodeMask) >> wire::kOpcodeShift));
    f.push_back(std::to_string(b & wire::kFormatMask));
    f.push_back(std::to_string((d.size() - wire::kHeaderSize) / wire::kOperandSize));
    f.push_back(join(operands_of(d), ","));
    f.resize(13);
    if (b & wire::kRequestUnusedMask) experts.push_back(kUnusedBits);
  }
  if (decoded.fault) {
    char reason[64];
    experts.emplace_back(reason, protocol::format_reason(*decoded.fault, reason));
  }
  f.push_back(join(experts, ","));
  return join(f, "|");
}

// The dissector shows a NUL byte in a string as the two characters \0.
std::string nul_escaped(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out;
}

// `format`: the F bit of the request this reply answers, or nullopt when there is none.
std::string reply_row(const Datagram& d, std::optional<Format> format,
                      std::optional<std::size_t> request_frame) {
  std::vector<std::string> f{
      "1", "", "", "", "", "", request_frame ? std::to_string(*request_frame) : ""};
  std::vector<std::string> experts;
  if (d.empty()) {
    f.resize(13);
    experts.push_back(std::string(protocol::to_string(protocol::ReplyError::empty)));
    f.push_back(join(experts, ","));
    return join(f, "|");
  }
  const std::uint8_t b = byte0(d);
  const std::string payload = text_of(d, wire::kHeaderSize);
  f.push_back(b & wire::kStatusMask ? "1" : "0");
  f.push_back(hex2(b & wire::kReplyUnusedMask));
  if (b & wire::kReplyUnusedMask) experts.push_back(kUnusedBits);
  if (!(b & wire::kStatusMask)) {
    f.resize(12);
    const std::string shown = nul_escaped(payload);
    f.push_back(shown);
    experts.push_back("error reply: " + (shown.empty() ? std::string("(no reason)") : shown));
    if (payload.find('\0') != std::string::npos) experts.push_back("error reason holds a NUL byte");
    f.push_back(join(experts, ","));
    return join(f, "|");
  }
  if (!format) {
    // The dissector's documented guess: 4 bytes that are not all digits are an integer.
    format = payload.size() == wire::kIntegerResultSize && !all_digits(payload) ? Format::integer
                                                                                : Format::string;
    experts.push_back("no request seen: result format guessed");
  }
  const auto decoded = protocol::decode_reply(d, *format);
  f.push_back(std::to_string(static_cast<int>(*format)));
  f.push_back(decoded.ok() ? std::to_string(decoded.reply.value) : "");
  f.push_back(*format == Format::string ? nul_escaped(payload) : "");
  f.push_back("");
  if (decoded.error) experts.push_back(std::string(protocol::to_string(*decoded.error)));
  if (*format == Format::string && payload.find('\0') != std::string::npos) {
    experts.push_back("string result holds a NUL byte");
  }
  f.push_back(join(experts, ","));
  return join(f, "|");
}

// The result a client would accept from the exchange's reply (the format as the dissector
// decides it), or nullopt.
std::optional<std::uint32_t> reply_value(const Exchange& x) {
  if (!x.reply || x.reply->empty() || !(byte0(*x.reply) & wire::kStatusMask)) return std::nullopt;
  Format format = Format::string;
  if (x.request && !x.request->empty()) {
    format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
  } else {
    const std::string payload = text_of(*x.reply, wire::kHeaderSize);
    if (payload.size() == wire::kIntegerResultSize && !all_digits(payload))
      format = Format::integer;
  }
  const auto decoded = protocol::decode_reply(*x.reply, format);
  if (!decoded.ok()) return std::nullopt;
  return decoded.reply.value;
}

struct Capture {
  std::vector<std::string> rows;    // expected tshark lines, one per frame
  std::vector<std::string> labels;  // what each frame is, for failure messages
};

// Writes every exchange from `client(i)` to `server` and back; returns the expected rows.
Capture write_exchanges(PcapWriter& w, const std::vector<Exchange>& exchanges,
                        const std::function<Address(std::size_t)>& client, const Address& server) {
  Capture c;
  auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    const Exchange& x = exchanges[i];
    std::optional<std::size_t> request_frame;
    std::optional<Format> format;
    if (x.request) {
      EXPECT_TRUE(w.write(client(i), server, *x.request, when).ok());
      c.labels.push_back(x.label + " (request)");
      request_frame = c.rows.size() + 1;
      c.rows.push_back(std::to_string(*request_frame) + "|" + request_row(*x.request));
      if (!x.request->empty()) format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
    }
    when += std::chrono::milliseconds(1);
    if (x.reply) {
      EXPECT_TRUE(w.write(server, client(i), *x.reply, when).ok());
      c.labels.push_back(x.label + " (reply)");
      const std::size_t frame = c.rows.size() + 1;
      c.rows.push_back(std::to_string(frame) + "|" + reply_row(*x.reply, format, request_frame));
    }
    when += std::chrono::milliseconds(1);
  }
  return c;
}

Address addr(const std::string& text) {
  auto a = sockcalc::is_unix_spec(text) ? Address::parse_unix(text) : Address::parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a.ok() ? *a : Address{};
}

// The capture holds a message for every rule the codec can find broken, so that the dissector
// is compared with the codec on each of them.
TEST(CalcCapture, CoversEveryRuleOfTheCodec) {
  std::set<protocol::RequestError> request_errors;
  std::set<protocol::ReplyError> reply_errors;
  bool error_reply = false, success_integer = false, success_string = false;
  for (const Exchange& x : every_kind_of_message()) {
    if (x.request) {
      const auto d = protocol::decode_request(*x.request);
      if (d.fault) request_errors.insert(d.fault->error);
    }
    if (!x.reply || !x.request || x.request->empty()) continue;
    const auto format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
    const auto r = protocol::decode_reply(*x.reply, format);
    if (r.error) reply_errors.insert(*r.error);
    if (r.ok() && !r.reply.success) error_reply = true;
    if (r.ok() && r.reply.success)
      (format == Format::integer ? success_integer : success_string) = true;
  }
  EXPECT_EQ(request_errors.size(), 5u);  // empty .. too_many_operands
  EXPECT_EQ(reply_errors.size(), 7u);    // empty .. out_of_range
  EXPECT_TRUE(error_reply && success_integer && success_string);
}

class CalcDissector : public ::testing::Test {
 protected:
  void SetUp() override {
    tshark_ = sockcalc::capture_test::find_tshark();
    if (!tshark_) GTEST_SKIP() << "tshark is not installed (make check installs it)";
    ASSERT_FALSE(dir_.path().empty());
  }

  ToolRun tshark_fields(const std::string& capture, std::vector<std::string> extra) {
    std::vector<std::string> args{
        "-X", std::string("lua_script:") + CALC_LUA_PATH, "-T", "fields", "-E", "separator=|"};
    for (const char* field : kFields) {
      args.push_back("-e");
      args.push_back(field);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tshark(*tshark_, dir_.path(), capture, args);
  }

  // Runs tshark and compares every line with `expected`, naming the frame on a mismatch.
  void expect_rows(const std::string& capture, const Capture& expected,
                   std::vector<std::string> extra = {}) {
    const ToolRun run = tshark_fields(capture, std::move(extra));
    ASSERT_TRUE(run.started) << run.error;
    ASSERT_FALSE(run.timed_out);
    EXPECT_EQ(run.exit_status, 0);
    EXPECT_EQ(run.err, "") << "tshark wrote on stderr";
    const auto got = lines_of(run.out);
    EXPECT_EQ(got.size(), expected.rows.size()) << run.out;
    for (std::size_t i = 0; i < std::min(got.size(), expected.rows.size()); ++i) {
      EXPECT_EQ(got[i], expected.rows[i]) << "frame " << i + 1 << ": " << expected.labels[i];
    }
  }

  std::optional<std::string> tshark_;
  ScratchDir dir_;
};

TEST_F(CalcDissector, EveryKindOfMessageOverIpv6AndIpv4) {
  const auto exchanges = every_kind_of_message();
  const std::string path = dir_.file("calc.pcap");
  auto w = PcapWriter::open(path);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const Address server6 = addr("[::1]:" + std::to_string(wire::kCoursePort));
  Capture all = write_exchanges(
      *w, exchanges, [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
      server6);
  // A dual-stack server on `::`: IPv4 clients appear as ::ffff:127.0.0.1 (odd ones) or as
  // AF_INET addresses (even ones); both are written as IPv4.
  const Address server_any = addr("[::]:" + std::to_string(wire::kCoursePort));
  Capture v4 = write_exchanges(
      *w, exchanges,
      [](std::size_t i) {
        return addr((i % 2 ? "[::ffff:127.0.0.1]:" : "127.0.0.1:") + std::to_string(41000 + i));
      },
      server_any);
  ASSERT_TRUE(w->close().ok());
  // Renumber the IPv4 half after the IPv6 half (frame numbers and request_in).
  const std::size_t offset = all.rows.size();
  for (std::size_t i = 0; i < v4.rows.size(); ++i) {
    std::vector<std::string> cols = split(v4.rows[i], '|');
    cols[0] = std::to_string(std::stoul(cols[0]) + offset);
    if (!cols[7].empty()) cols[7] = std::to_string(std::stoul(cols[7]) + offset);
    all.rows.push_back(join(cols, "|"));
    all.labels.push_back(v4.labels[i] + " over IPv4");
  }
  expect_rows(path, all);
}

TEST_F(CalcDissector, ExpertInfosHaveTheirSeverities) {
  // In capture order: an unused-bits request (chat) and its good reply, a malformed request
  // (error) and its error reply (note), a good request and its malformed reply (error).
  const std::string path = dir_.file("experts.pcap");
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    const auto kinds = every_kind_of_message();
    std::vector<Exchange> some;
    for (const Exchange& x : kinds) {
      if (x.label == "opcode 2" || x.label == "unused bits set" || x.label == "leading zero") {
        some.push_back(x);
      }
    }
    ASSERT_EQ(some.size(), 3u);
    write_exchanges(
        *w, some, [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
        addr("[::1]:10000"));
  }
  const ToolRun run = run_tshark(
      *tshark_, dir_.path(), path,
      {"-X", std::string("lua_script:") + CALC_LUA_PATH, "-T", "fields", "-E", "separator=|", "-e",
       "frame.number", "-e", "_ws.expert.severity", "-e", "_ws.expert.group"});
  ASSERT_TRUE(run.started) << run.error;
  EXPECT_EQ(run.err, "");
  // Wireshark's codes: severity chat 0x00200000, note 0x00400000, error 0x00800000; groups
  // malformed 0x07000000, protocol 0x09000000, response code 0x03000000.
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{
                                   "1|2097152|150994944",
                                   "2||",
                                   "3|8388608|117440512",
                                   "4|4194304|50331648",
                                   "5||",
                                   "6|8388608|117440512",
                               }))
      << run.out;
}

TEST_F(CalcDissector, UnixCapturesDecodeTheSameWithOrWithoutTheServerPreference) {
  std::vector<Exchange> exchanges;
  for (const Exchange& x : every_kind_of_message()) {
    // The first datagram between two Unix addresses is taken for a request: a reply with no
    // request before it cannot be told apart without the preference (tested over UDP).
    if (x.request) exchanges.push_back(x);
  }
  const std::string path = dir_.file("unix.pcap");
  auto w = PcapWriter::open(path, Link::unix_domain);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const Capture expected = write_exchanges(
      *w, exchanges, [](std::size_t i) { return addr("unix:@calc-client-" + std::to_string(i)); },
      addr("unix:/run/calc.sock"));
  ASSERT_TRUE(w->close().ok());
  expect_rows(path, expected);
  expect_rows(path, expected, {"-o", "calc.unix_server:unix:/run/calc.sock"});
}

TEST_F(CalcDissector, PortPreferenceAndDecodeAs) {
  const std::string path = dir_.file("port.pcap");
  const Datagram request = encode(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    write_exchanges(
        *w, {{"course example", request, answer(request)}},
        [](std::size_t) { return addr("127.0.0.1:45000"); }, addr("127.0.0.1:20000"));
  }
  const std::string request_line = "1|" + request_row(request);
  const std::string reply_line = "2|" + reply_row(answer(request), Format::integer, 1);
  auto run = tshark_fields(path, {});
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{"1||||||||||||||", "2||||||||||||||"}))
      << "port 20000 is not a calc port by default";
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{"-o", "calc.ports:20000"},
                                             {"-o", "calc.ports:10000,19990-20010"},
                                             {"-d", "udp.port==20000,calc"}}) {
    run = tshark_fields(path, extra);
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{request_line, reply_line})) << extra[1];
  }
  // Decode As with the client port: the first datagram seen is still the request.
  run = tshark_fields(path, {"-d", "udp.port==45000,calc"});
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{request_line, reply_line}));
}

TEST_F(CalcDissector, DisplayFiltersOnTheFields) {
  const std::string path = dir_.file("filters.pcap");
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    write_exchanges(
        *w, every_kind_of_message(),
        [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
        addr("[::1]:10000"));
  }
  auto frames_matching = [&](const std::string& filter) {
    const ToolRun run = run_tshark(*tshark_, dir_.path(), path,
                                   {"-X", std::string("lua_script:") + CALC_LUA_PATH, "-Y", filter,
                                    "-T", "fields", "-e", "frame.number"});
    EXPECT_EQ(run.err, "") << filter;
    EXPECT_EQ(run.exit_status, 0) << filter;
    return lines_of(run.out).size();
  };
  const auto kinds = every_kind_of_message();
  std::size_t requests = 0, replies = 0, products = 0, errors = 0, reasons = 0, results_945 = 0;
  for (const Exchange& x : kinds) {
    if (x.reply && reply_value(x) == 945u) ++results_945;
    requests += x.request ? 1 : 0;
    replies += x.reply ? 1 : 0;
    if (x.request && !x.request->empty() &&
        ((byte0(*x.request) & wire::kOpcodeMask) >> wire::kOpcodeShift) == wire::kOpcodeProduct) {
      ++products;
    }
    if (x.reply && !x.reply->empty() && !(byte0(*x.reply) & wire::kStatusMask)) {
      ++errors;
      reasons += x.reply->size() > wire::kHeaderSize ? 1 : 0;
    }
  }
  EXPECT_EQ(frames_matching("calc"), requests + replies);
  EXPECT_EQ(frames_matching("calc.type == \"request\""), requests);
  EXPECT_EQ(frames_matching("calc.type == 1"), replies);
  EXPECT_EQ(frames_matching("calc.opcode == 1"), products);
  EXPECT_EQ(frames_matching("calc.opcode == \"product\""), products);
  EXPECT_EQ(frames_matching("calc.status == 0"), errors);
  EXPECT_EQ(frames_matching("calc.reason"), errors);
  EXPECT_EQ(frames_matching("calc.reason != \"\""), reasons);
  EXPECT_EQ(frames_matching("calc.result == 945"), results_945);
  EXPECT_GE(results_945, 2u);  // course example 2 and the orphan string reply
  EXPECT_GT(frames_matching("calc.unknown_opcode"), 0u);
}

}  // namespace

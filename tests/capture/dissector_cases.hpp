// SPDX-License-Identifier: MIT
// capture/dissector_cases.hpp -- internal to calc_dissector_test: every kind of calc message,
// good and bad (built with the codec and the server's answer() only, malformed ones by mutating
// their bytes), and the rows tshark must print for them, computed with the codec. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::dissector_cases {

using sockcalc::Address;
using sockcalc::capture::Link;
using sockcalc::capture::PcapWriter;
namespace protocol = sockcalc::protocol;
namespace wire = sockcalc::wire;
using protocol::Format;
using protocol::Op;
using Datagram = std::vector<std::byte>;

// One request and its reply between one client and the server; either may be absent.
struct Exchange {
  std::string label;
  std::optional<Datagram> request;
  std::optional<Datagram> reply;
};

// ---- Expected tshark output, computed from the datagrams with the codec. ----

inline constexpr const char* kFields[] = {
    "frame.number",       "calc.type",    "calc.unused",     "calc.opcode", "calc.format",
    "calc.count",         "calc.operand", "calc.request_in", "calc.status", "calc.reply_unused",
    "calc.result_format", "calc.result",  "calc.result_str", "calc.reason", "_ws.expert.message"};

struct Capture {
  std::vector<std::string> rows;    // expected tshark lines, one per frame
  std::vector<std::string> labels;  // what each frame is, for failure messages
};

// ---- Building messages: the codec's encoders, then mutations of their bytes. ----
Datagram encode(Op op, Format format, std::initializer_list<std::uint32_t> values,
                std::uint8_t unused = 0);

// The reply our server sends to `request` (protocol::answer, the server's own code).
Datagram answer(const Datagram& request);

Datagram success(std::uint32_t value, Format format);

Datagram first(const Datagram& d, std::size_t n);

std::vector<Exchange> every_kind_of_message();

std::uint8_t byte0(const Datagram& d);

std::string join(const std::vector<std::string>& parts, const std::string& sep);

std::vector<std::string> split(const std::string& line, char sep);

std::string request_row(const Datagram& d);

// `format`: the F bit of the request this reply answers, or nullopt when there is none.
std::string reply_row(const Datagram& d, std::optional<Format> format,
                      std::optional<std::size_t> request_frame);

// The result a client would accept from the exchange's reply (the format as the dissector
// decides it), or nullopt.
std::optional<std::uint32_t> reply_value(const Exchange& x);

// Writes every exchange from `client(i)` to `server` and back; returns the expected rows.
Capture write_exchanges(PcapWriter& w, const std::vector<Exchange>& exchanges,
                        const std::function<Address(std::size_t)>& client, const Address& server);

Address addr(const std::string& text);

}  // namespace sockcalc::dissector_cases

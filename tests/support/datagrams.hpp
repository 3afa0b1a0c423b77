// SPDX-License-Identifier: MIT
// tests/support/datagrams.hpp -- public to every test program (library sockcalc_test_support).
// The datagrams tests send, expect or mutate, built with the project's codec: never a second
// encoder. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::testing {

using Datagram = std::vector<std::byte>;

/// A request from its parts: the codec's own builder.
using protocol::make_request;

/// protocol::encoded_request(): empty when the request cannot be encoded (no operand).
Datagram encode(const protocol::Request& request);
/// protocol::encoded_success_reply().
Datagram encode_success(std::uint32_t value, protocol::Format format);
/// protocol::encoded_error_reply(): the reply to a request of `request_length` bytes.
Datagram encode_error(const protocol::RequestFault& fault, std::size_t request_length);

/// A request datagram of exactly `size` bytes: the encoding of 64 integers (1, 2, ..., 64) with
/// `op`, cut short or padded with zero bytes.
Datagram datagram_of_size(std::size_t size, protocol::Op op = protocol::Op::sum);

/// Bytes quoted from the spec, for expected values only (never to build a datagram to send).
Datagram spec_bytes(std::initializer_list<unsigned> values);

}  // namespace sockcalc::testing

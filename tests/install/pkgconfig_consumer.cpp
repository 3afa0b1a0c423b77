// SPDX-License-Identifier: MIT
// tests/install/pkgconfig_consumer.cpp -- internal to tests/install: not part of the build.
// install_prefix_test compiles it against an installed sockcalc with
// `pkg-config --cflags --libs sockcalc`, as an outside program, and runs it: it prints the
// library's version, then the request for the sum of its arguments in the course's hex and
// that sum. Single-threaded.
#include <sockcalc/core/hex.hpp>
#include <sockcalc/protocol/codec.hpp>
#include <sockcalc/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <span>

int main(int argc, char** argv) {
  namespace protocol = sockcalc::protocol;
  protocol::Request request;
  for (int i = 1; i < argc; ++i) {
    request.operands.push_back(static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10)));
  }
  std::byte out[sockcalc::wire::kMaxRequestSize];
  const std::size_t size = protocol::encode_request(request, out);
  std::printf("sockcalc %s\n%s\nsum = %u\n", sockcalc::kVersion,
              sockcalc::course_hex(std::span(out, size)).c_str(),
              protocol::compute(request.op, request.operands.values()));
  return size > 0 ? 0 : 1;
}

// SPDX-License-Identifier: MIT
// bench/codec_bench.cpp -- micro-benchmarks of the codec and of the server's pure path (internal).
// encode/decode of requests and replies, compute, and protocol::answer (decode + compute + encode
// reply) for 1, 16 and 64 integers and both result formats. Single-threaded (Google Benchmark).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace {

using namespace sockcalc;
using protocol::Format;
using protocol::Op;
using protocol::Request;

// Each case cycles through a pool of distinct requests, so that neither the branch predictor
// nor the cache sees one input over and over; 256 requests of 257 bytes fit in L1/L2 anyway.
constexpr std::size_t kPoolSize = 256;

struct Datagram {
  std::array<std::byte, wire::kMaxRequestSize> bytes{};
  std::size_t size = 0;
};

struct ReplyDatagram {
  std::array<std::byte, wire::kMaxSuccessReplySize> bytes{};
  std::size_t size = 0;
};

Format format_arg(const benchmark::State& state) {
  return state.range(1) == 0 ? Format::integer : Format::string;
}

// Requests of `count` integers asking for `format`, sum and product alternating. Operands have
// random magnitudes (a random value shifted right by 0..31 bits), as loadgen sends, so that
// string results of every length occur; product operands are odd, so products rarely wrap to 0.
std::vector<Request> make_requests(std::size_t count, Format format) {
  std::mt19937 rng(1);
  std::vector<Request> pool(kPoolSize);
  for (std::size_t i = 0; i < pool.size(); ++i) {
    Request& r = pool[i];
    r.op = i % 2 == 0 ? Op::sum : Op::product;
    r.format = format;
    for (std::size_t k = 0; k < count; ++k) {
      std::uint32_t v = static_cast<std::uint32_t>(rng()) >> (rng() % 32);
      if (r.op == Op::product) v |= 1u;
      r.operands.push_back(v);
    }
  }
  return pool;
}

std::vector<Datagram> encode_all(const std::vector<Request>& requests) {
  std::vector<Datagram> out(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out[i].size = protocol::encode_request(requests[i], out[i].bytes);
  }
  return out;
}

// The replies the server sends to `requests`, made by the library's own handler.
std::vector<ReplyDatagram> replies_to(const std::vector<Datagram>& requests) {
  std::vector<ReplyDatagram> out(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const protocol::Bytes held(requests[i].bytes.data(), requests[i].size);
    out[i].size = protocol::answer(held, held.size(), out[i].bytes).size;
  }
  return out;
}

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_EncodeRequest(benchmark::State& state) {
  const auto requests = make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state));
  std::array<std::byte, wire::kMaxRequestSize> out{};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::encode_request(requests[i++ % kPoolSize], out));
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_DecodeRequest(benchmark::State& state) {
  const auto datagrams =
      encode_all(make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state)));
  std::size_t i = 0;
  for (auto _ : state) {
    const Datagram& d = datagrams[i++ % kPoolSize];
    auto decoded = protocol::decode_request({d.bytes.data(), d.size}, d.size);
    benchmark::DoNotOptimize(decoded);
  }
  set_counters(state);
}

void BM_Compute(benchmark::State& state) {
  const auto requests = make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state));
  std::size_t i = 0;
  for (auto _ : state) {
    const Request& r = requests[i++ % kPoolSize];
    benchmark::DoNotOptimize(protocol::compute(r.op, r.operands.values()));
  }
  set_counters(state);
}

void BM_EncodeReply(benchmark::State& state) {
  const auto requests = make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state));
  std::vector<std::uint32_t> values;
  for (const Request& r : requests) values.push_back(protocol::compute(r.op, r.operands.values()));
  std::array<std::byte, wire::kMaxSuccessReplySize> out{};
  const Format format = format_arg(state);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::encode_success_reply(values[i++ % kPoolSize], format, out));
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_DecodeReply(benchmark::State& state) {
  const auto replies = replies_to(
      encode_all(make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state))));
  const Format format = format_arg(state);
  std::size_t i = 0;
  for (auto _ : state) {
    const ReplyDatagram& d = replies[i++ % kPoolSize];
    auto decoded = protocol::decode_reply({d.bytes.data(), d.size}, format);
    benchmark::DoNotOptimize(decoded);
  }
  set_counters(state);
}

// The server's whole pure path for one datagram: decode, compute, encode the reply.
void BM_Answer(benchmark::State& state) {
  const auto datagrams =
      encode_all(make_requests(static_cast<std::size_t>(state.range(0)), format_arg(state)));
  std::array<std::byte, wire::kRecvBufferSize> out{};
  std::size_t i = 0;
  for (auto _ : state) {
    const Datagram& d = datagrams[i++ % kPoolSize];
    benchmark::DoNotOptimize(protocol::answer({d.bytes.data(), d.size}, d.size, out));
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

// ints = integers per request; string = 0 for an integer result, 1 for a decimal string.
void sizes_and_formats(benchmark::internal::Benchmark* b) {
  b->ArgNames({"ints", "string"});
  for (std::int64_t ints : {1, 16, 64}) {
    for (std::int64_t string : {0, 1}) b->Args({ints, string});
  }
}

BENCHMARK(BM_EncodeRequest)->Apply(sizes_and_formats);
BENCHMARK(BM_DecodeRequest)->Apply(sizes_and_formats);
BENCHMARK(BM_Compute)->Apply(sizes_and_formats);
BENCHMARK(BM_EncodeReply)->Apply(sizes_and_formats);
BENCHMARK(BM_DecodeReply)->Apply(sizes_and_formats);
BENCHMARK(BM_Answer)->Apply(sizes_and_formats);

}  // namespace

BENCHMARK_MAIN();

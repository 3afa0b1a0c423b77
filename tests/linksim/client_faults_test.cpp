// SPDX-License-Identifier: MIT
// tests/linksim/client_faults_test.cpp -- the client library (client::Client, default retries)
// against the real server behind the real linksim with faults: loss, duplication, reordering,
// jitter, late replies, corruption. Prints the measured figures for docs/LINKSIM.md.
// Worker threads each own their Client objects; outcomes are merged after join.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <deque>
#include <random>
#include <thread>

#include "harness.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::test {
namespace {

using client::CallStatus;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Outcome {
  CallStatus status = CallStatus::no_reply;
  bool local_error = false;
  std::uint32_t value = 0;
  std::uint32_t expected = 0;
  protocol::Format format = protocol::Format::integer;
  protocol::ReplyError malformed = protocol::ReplyError::empty;
  std::vector<std::byte> reply;
  int tries = 0;
};

struct Load {
  int requests = 0;
  int threads = 1;
  client::CallOptions options;
  std::uint64_t seed = 1;
  // A finished request's socket stays open this long: a late reply to it (a duplicate, a
  // reordered one, an answer to an earlier try) must not reach a later request that the
  // system gave the same port (P-12: no request id, one source port per outstanding request).
  milliseconds quarantine{0};
};

// A random request: sum or product, either format, 1..8 integers (small or full range).
protocol::Request random_request(std::mt19937_64& rng) {
  protocol::Request r;
  r.op = rng() % 2 ? protocol::Op::sum : protocol::Op::product;
  r.format = rng() % 2 ? protocol::Format::string : protocol::Format::integer;
  const std::size_t n = 1 + rng() % 8;
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::uint32_t>(rng());
    r.operands.push_back(rng() % 2 ? v : v % 1000);
  }
  return r;
}

// Resting clients: a finished request's socket stays open (see Load::quarantine).
using Resting = std::deque<std::pair<Clock::time_point, client::Client>>;

// Takes request indexes from `next` until all are done; writes out[i] for each index i.
void worker(const Address& target, const Load& load, std::atomic<int>& next,
            std::vector<Outcome>& out, Resting& resting) {
  for (int i; (i = next.fetch_add(1)) < load.requests;) {
    while (!resting.empty() && resting.front().first <= Clock::now()) resting.pop_front();
    // Request i is the same whatever thread runs it.
    std::mt19937_64 rng(load.seed * 1000003 + static_cast<std::uint64_t>(i));
    const protocol::Request request = random_request(rng);
    Outcome& o = out[static_cast<std::size_t>(i)];
    o.format = request.format;
    o.expected = protocol::compute(request.op, request.operands.values());
    auto c = client::Client::connect(target);  // a fresh socket, so a fresh source port
    auto r = c ? c->call(request, load.options) : Result<client::CallResult>(c.error());
    if (!r) {
      o.local_error = true;
    } else {
      o.status = r->status;
      o.value = r->value;
      o.malformed = r->malformed;
      o.reply = r->reply;
      o.tries = r->tries;
    }
    if (c && load.quarantine.count() > 0) {
      resting.emplace_back(Clock::now() + load.quarantine, std::move(*c));
    }
  }
}

// Runs load.requests calls on load.threads threads sharing one queue of request indexes, so
// that a slow request (one that times out 8 times) does not hold up a fixed share of others.
std::vector<Outcome> run_load(const Address& target, const Load& load) {
  // Resting sockets hold fds: lift the soft limit to the hard one (a default of 1024 is tight).
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  std::vector<Outcome> out(static_cast<std::size_t>(load.requests));
  // Every thread's resting sockets stay open until all threads are done: a thread that
  // finishes early must not free ports whose late replies are still on their way.
  std::vector<Resting> resting(static_cast<std::size_t>(load.threads));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < resting.size(); ++t) {
    threads.emplace_back(worker, std::cref(target), std::cref(load), std::ref(next), std::ref(out),
                         std::ref(resting[t]));
  }
  for (auto& t : threads) t.join();
  return out;
}

struct Tally {
  int requests = 0;
  int right = 0;
  int wrong = 0;
  int error_reply = 0;
  int malformed = 0;
  int no_reply = 0;
  int refused = 0;
  int local_error = 0;
  long tries = 0;

  explicit Tally(const std::vector<Outcome>& outcomes) {
    for (const Outcome& o : outcomes) {
      ++requests;
      tries += o.tries;
      if (o.local_error) {
        ++local_error;
        continue;
      }
      switch (o.status) {
        case CallStatus::success:
          ++(o.value == o.expected ? right : wrong);
          break;
        case CallStatus::error_reply:
          ++error_reply;
          break;
        case CallStatus::malformed:
          ++malformed;
          break;
        case CallStatus::no_reply:
          ++no_reply;
          break;
        case CallStatus::refused:
          ++refused;
          break;
      }
    }
  }

  [[nodiscard]] std::string to_string(double seconds) const {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "requests %d, right %d (%.2f %%), wrong %d, error reply %d, malformed %d, "
                  "no reply %d, refused %d, local error %d, tries %ld (%.2f a request), "
                  "duration %.2f s",
                  requests, right, requests ? 100.0 * right / requests : 0.0, wrong, error_reply,
                  malformed, no_reply, refused, local_error, tries,
                  requests ? static_cast<double>(tries) / requests : 0.0, seconds);
    return buf;
  }
};

// A server and a linksim with `options` in front of it, on ::1.
struct Link {
  std::optional<Started> server;
  std::optional<Started> linksim;
};

std::unique_ptr<Link> start_link(const std::vector<std::string>& options) {
  auto link = std::make_unique<Link>();
  std::string why;
  auto server = start_server("::1", &why);
  EXPECT_TRUE(server) << why;
  if (!server) return nullptr;
  link->server.emplace(std::move(*server));
  auto linksim = start_linksim(options, "::1", "::1", link->server->port(), &why);
  EXPECT_TRUE(linksim) << why;
  if (!linksim) return nullptr;
  link->linksim.emplace(std::move(*linksim));
  return link;
}

// Stops linksim, prints its summary under `title`, returns its stderr.
std::string stop_and_report(Link& link, const std::string& title) {
  EXPECT_EQ(stop(link.linksim->process), 0) << link.linksim->process.dump();
  const std::string err = link.linksim->process.err();
  for (const char* label : {"forward", "reverse", "flows"}) {
    std::cout << "[" << title << "] linksim " << summary(err, label).substr(9) << '\n';
  }
  return err;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// (b) Issue 3, "the client under faults": 30 % loss each way, 10 % duplication, 10 %
// reordering, 0..20 ms jitter. With the default 7 retries (8 tries) and a 40 ms first timeout
// every answer must be right; at least 99 % get one; the rest end with "no reply". A try
// succeeds with p = 0.7 * (1 - 0.3 * 0.93) = 0.50 (a duplicated request is answered twice), so
// all 8 fail with p = 0.495^8 = 0.36 %: about 7 of 2000 requests. More than 20 (1 %) has a
// Poisson probability near 1e-5, which is why the test runs 2000 requests and not 400 (there,
// 5 failures of an expected 1.5 would fail the test once in 60 runs).
TEST(ClientUnderFaults, LossDupReorderJitterGiveRightAnswersOrNoReply) {
  const std::vector<std::string> options = {"--seed", "3",         "--loss", "30",       "--dup",
                                            "10",     "--reorder", "10",     "--jitter", "20"};
  auto link = start_link(options);
  ASSERT_TRUE(link);
  Load load;
  load.requests = 2000;
  load.threads = 80;
  load.options.timeout = milliseconds(40);
  load.seed = 3;
  load.quarantine = milliseconds(1000);
  ASSERT_EQ(load.options.retries, 7) << "the default retries";
  const auto start = Clock::now();
  const std::vector<Outcome> outcomes = run_load(link->linksim->address, load);
  const Tally t(outcomes);
  std::cout << "[client under faults] linksim --seed 3 --loss 30 --dup 10 --reorder 10 "
               "--jitter 20; client timeout 40 ms, retries 7\n"
            << "[client under faults] " << t.to_string(seconds_since(start)) << '\n';
  const std::string err = stop_and_report(*link, "client under faults");

  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.error_reply, 0);
  EXPECT_EQ(t.malformed, 0);
  EXPECT_EQ(t.refused, 0);
  EXPECT_EQ(t.local_error, 0);
  EXPECT_GE(t.right * 100, t.requests * 99) << "success rate below 99 %";
  EXPECT_EQ(t.no_reply, t.requests - t.right) << "every failure is a 'no reply'";
  for (const char* label : {"forward", "reverse"}) {
    const auto c = counters(summary(err, label));
    EXPECT_GT(c.at("dropped"), 0u) << label;
    EXPECT_GT(c.at("duplicated"), 0u) << label;
    EXPECT_GT(c.at("reordered"), 0u) << label;
    EXPECT_GT(c.at("delayed"), 0u) << label;
  }
}

// (c) Duplicated and late replies never confuse the client: every datagram is sent twice and
// takes 30..70 ms each way, so the round trip (>= 60 ms) outlasts the 20 ms first timeout and
// replies to earlier tries arrive during later ones, two by two. Every result must be right.
TEST(ClientUnderFaults, DuplicatedAndLateRepliesNeverConfuseTheClient) {
  auto link = start_link({"--seed", "4", "--dup", "100", "--delay", "30", "--jitter", "40"});
  ASSERT_TRUE(link);
  Load load;
  load.requests = 300;
  load.threads = 30;
  load.options.timeout = milliseconds(20);
  load.seed = 4;
  load.quarantine = milliseconds(1000);
  const auto start = Clock::now();
  const std::vector<Outcome> outcomes = run_load(link->linksim->address, load);
  const Tally t(outcomes);
  std::cout << "[late replies] linksim --seed 4 --dup 100 --delay 30 --jitter 40; client "
               "timeout 20 ms\n"
            << "[late replies] " << t.to_string(seconds_since(start)) << '\n';
  const std::string err = stop_and_report(*link, "late replies");
  EXPECT_EQ(t.right, t.requests);
  // The first reply cannot beat the 20 ms timeout (unless a loaded machine stalls the client
  // between its send and its clock read): replies to earlier tries do arrive late.
  const auto retried = std::count_if(outcomes.begin(), outcomes.end(),
                                     [](const Outcome& o) { return o.tries >= 2; });
  EXPECT_GE(retried * 100, t.requests * 95);
  for (const char* label : {"forward", "reverse"}) {
    const auto c = counters(summary(err, label));
    EXPECT_EQ(c.at("duplicated"), c.at("received")) << label;
    EXPECT_EQ(c.at("delayed"), c.at("received")) << label;
  }
  EXPECT_GT(counters(summary(err, "reverse")).at("received"),
            static_cast<std::uint64_t>(4 * t.requests))
      << "several tries answered, each twice";
}

// How one corrupted reply compares with the right one.
struct ReplyDamage {
  std::size_t differing = 0;  // bytes that differ
  std::size_t index = 0;      // the (last) differing byte
  std::uint8_t now = 0;       // its value in the corrupted reply
  std::uint8_t mask = 0;      // what was flipped
};

ReplyDamage compare(const std::vector<std::byte>& got, const std::vector<std::byte>& right) {
  ReplyDamage d;
  for (std::size_t i = 0; i < std::min(got.size(), right.size()); ++i) {
    if (got[i] != right[i]) {
      ++d.differing;
      d.index = i;
      d.now = std::to_integer<std::uint8_t>(got[i]);
      d.mask = std::to_integer<std::uint8_t>(got[i] ^ right[i]);
    }
  }
  if (got.size() != right.size()) d.differing = SIZE_MAX;
  return d;
}

bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

// (d) Every reply corrupted (one byte, random mask). The protocol has no checksum: what the
// client can detect is reported, what it cannot is measured (P-10, P-11).
TEST(ClientUnderFaults, ReverseCorruptionDetectedWhereThePayloadBreaksTheSpec) {
  auto link = start_link({"--seed", "5", "--direction", "reverse", "--corrupt", "100"});
  ASSERT_TRUE(link);
  Load load;
  load.requests = 1000;
  load.threads = 1;  // one at a time: the k-th reply gets the k-th decision, run after run
  load.seed = 5;
  const auto start = Clock::now();
  const std::vector<Outcome> outcomes = run_load(link->linksim->address, load);
  const Tally t(outcomes);
  int header_status = 0, header_unused = 0, integer_payload = 0, string_non_digit = 0,
      string_digit_wrong = 0, string_digit_malformed = 0;
  for (const Outcome& o : outcomes) {
    ASSERT_FALSE(o.local_error);
    ASSERT_NE(o.status, CallStatus::no_reply);
    std::array<std::byte, wire::kMaxSuccessReplySize> buf{};
    const std::size_t n = protocol::encode_success_reply(o.expected, o.format, buf);
    const std::vector<std::byte> right(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    const ReplyDamage d = compare(o.reply, right);
    ASSERT_EQ(d.differing, 1u) << "exactly one byte corrupted";
    if (d.index == 0) {
      if ((d.mask & wire::kStatusMask) != 0) {
        ++header_status;  // S = 0: the client reports an error reply, never a result
        EXPECT_EQ(o.status, CallStatus::error_reply);
      } else {
        ++header_unused;  // only unused bits: ignored by the spec, the result is right
        EXPECT_EQ(o.status, CallStatus::success);
        EXPECT_EQ(o.value, o.expected);
      }
    } else if (o.format == protocol::Format::integer) {
      ++integer_payload;  // no checksum: a different integer, undetectable
      EXPECT_EQ(o.status, CallStatus::success);
      EXPECT_NE(o.value, o.expected);
    } else if (!is_digit(d.now)) {
      ++string_non_digit;  // always detected
      EXPECT_EQ(o.status, CallStatus::malformed);
      EXPECT_EQ(o.malformed, protocol::ReplyError::not_a_digit);
    } else if (o.status == CallStatus::malformed) {
      ++string_digit_malformed;  // a digit still, but a leading zero or above 2^32 - 1
      EXPECT_TRUE(o.malformed == protocol::ReplyError::leading_zero ||
                  o.malformed == protocol::ReplyError::out_of_range);
    } else {
      ++string_digit_wrong;  // another digit: another number, undetectable
      EXPECT_EQ(o.status, CallStatus::success);
      EXPECT_NE(o.value, o.expected);
    }
  }
  std::cout << "[reverse corruption] linksim --seed 5 --direction reverse --corrupt 100; "
               "1000 requests one at a time\n"
            << "[reverse corruption] " << t.to_string(seconds_since(start)) << '\n'
            << "[reverse corruption] byte 0 S bit flipped -> error reply: " << header_status
            << "; byte 0 unused bits only -> right result: " << header_unused
            << "; integer payload -> wrong result (undetectable): " << integer_payload
            << "; string byte -> non-digit -> malformed (detected): " << string_non_digit
            << "; string digit -> digit -> malformed (leading zero / out of range): "
            << string_digit_malformed
            << "; string digit -> digit -> wrong result (undetectable): " << string_digit_wrong
            << '\n';
  stop_and_report(*link, "reverse corruption");
  EXPECT_EQ(t.right, header_unused);
  EXPECT_EQ(t.wrong, integer_payload + string_digit_wrong);
  EXPECT_EQ(t.malformed, string_non_digit + string_digit_malformed);
  EXPECT_EQ(t.error_reply, header_status);
  EXPECT_GT(string_non_digit, 0);
  EXPECT_GT(integer_payload, 0);
}

// (d, the other way) Every request corrupted: the server answers what it received, which the
// client cannot check against what it sent. Measured; every request still gets one reply (P-7).
TEST(ClientUnderFaults, ForwardCorruptionIsMeasured) {
  auto link = start_link({"--seed", "6", "--direction", "forward", "--corrupt", "100"});
  ASSERT_TRUE(link);
  Load load;
  load.requests = 1000;
  load.threads = 1;
  load.seed = 6;
  const auto start = Clock::now();
  const Tally t(run_load(link->linksim->address, load));
  std::cout << "[forward corruption] linksim --seed 6 --direction forward --corrupt 100; "
               "1000 requests one at a time\n"
            << "[forward corruption] " << t.to_string(seconds_since(start)) << '\n';
  stop_and_report(*link, "forward corruption");
  EXPECT_EQ(t.no_reply + t.refused + t.local_error, 0);
  EXPECT_EQ(t.right + t.wrong + t.error_reply + t.malformed, t.requests);
  EXPECT_GT(t.error_reply, 0) << "an opcode turned into 2..7 is refused by the server";
  EXPECT_GT(t.wrong, 0) << "a corrupted operand gives a well-formed wrong answer";
}

}  // namespace
}  // namespace sockcalc::test

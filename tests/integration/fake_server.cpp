// SPDX-License-Identifier: MIT
// tests/integration/fake_server.cpp -- implementation of tests/integration/fake_server.hpp.
#include "fake_server.hpp"

#include <poll.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sockcalc/core/deadline.hpp"
#include "sockcalc/core/hex.hpp"

namespace sockcalc::integration {
namespace {

using Clock = std::chrono::steady_clock;

// The largest UDP payload, so that the fake sees every byte a client could send.
constexpr std::size_t kFakeBufferSize = 65536;
// A report shows this many bytes of a datagram, then "...".
constexpr std::size_t kReportBytes = 32;

std::string short_hex(std::span<const std::byte> bytes) {
  if (bytes.size() <= kReportBytes) return course_hex(bytes);
  return course_hex(bytes.first(kReportBytes)) + " ...";
}

}  // namespace

std::string reason_text(const protocol::RequestFault& fault) {
  std::array<char, wire::kMaxRequestSize> buf{};
  return std::string(buf.data(), protocol::format_reason(fault, buf));
}

std::string hex(std::span<const std::byte> bytes) { return course_hex(bytes); }

Result<std::unique_ptr<FakeServer>> FakeServer::start(const Address& local,
                                                      std::vector<FakeStep> script,
                                                      milliseconds lifetime) {
  auto s = DatagramSocket::bind(local);
  if (!s) return s.error();
  auto bound = s->local_address();
  if (!bound) return bound.error();
  auto w = Waker::create();
  if (!w) return w.error();
  std::unique_ptr<FakeServer> f(
      new FakeServer(std::move(*s), std::move(*bound), std::move(*w), std::move(script)));
  const auto deadline = Clock::now() + lifetime;
  f->thread_ = std::thread([fake = f.get(), deadline] { fake->run(deadline); });
  return f;
}

Result<std::unique_ptr<FakeServer>> FakeServer::start_v6(std::vector<FakeStep> script) {
  return start(Address::loopback(Family::v6, 0), std::move(script));
}

FakeServer::~FakeServer() { stop(); }

void FakeServer::run(Clock::time_point deadline) {
  std::array<pollfd, 2> fds{{{socket_.fd(), POLLIN, 0}, {waker_.fd(), POLLIN, 0}}};
  while (true) {
    const int left = remaining_ms(deadline);
    if (left == 0) break;
    const int rc = ::poll(fds.data(), fds.size(), left);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    if (fds[1].revents != 0) break;  // stop()
    receive_queued(true);
  }
}

void FakeServer::receive_queued(bool answer) {
  std::vector<std::byte> buf(kFakeBufferSize);
  while (true) {
    Received r;
    const RecvResult rx = socket_.recv_from(buf, &r.peer);
    if (rx.outcome != RecvOutcome::received) return;
    r.bytes.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(rx.held));
    r.wire_length = rx.wire_length;
    std::string note;
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = received_.size();
      received_.push_back(r);
    }
    if (answer && index < script_.size() && script_[index].answer) {
      const int err = socket_.send_to(script_[index].reply, r.peer);
      note = "datagram " + std::to_string(index + 1) + ": answered " + hex(script_[index].reply) +
             (err != 0 ? std::string(" -- send failed: ") + std::strerror(err) : "");
    } else {
      note = "datagram " + std::to_string(index + 1) + ": not answered";
    }
    {
      std::lock_guard lock(mutex_);
      log_.push_back(std::move(note));
    }
    arrived_.notify_all();
  }
}

void FakeServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  waker_.notify();
  if (thread_.joinable()) thread_.join();
  receive_queued(false);
}

bool FakeServer::wait_for_datagrams(std::size_t count, milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
}

std::vector<Received> FakeServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::string FakeServer::report() const {
  std::lock_guard lock(mutex_);
  std::string r = "fake server " + address_.to_string() + " received " +
                  std::to_string(received_.size()) + " datagram(s)\n";
  for (std::size_t i = 0; i < received_.size(); ++i) {
    r += "  " + std::to_string(i + 1) + ": from " + received_[i].peer.to_string() + ", " +
         std::to_string(received_[i].wire_length) + " bytes: " + short_hex(received_[i].bytes) +
         "\n";
  }
  for (const std::string& line : log_) r += "  " + line + "\n";
  return r;
}

}  // namespace sockcalc::integration

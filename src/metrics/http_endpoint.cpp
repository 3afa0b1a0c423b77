// SPDX-License-Identifier: MIT
// metrics/http_endpoint.cpp -- implementation of metrics/http_endpoint.hpp.
// One poll() loop over the waker, the listening socket and at most max_connections
// connections, each read until its request head is complete, answered, then closed.
#include "sockcalc/metrics/http_endpoint.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <deque>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "sockcalc/core/deadline.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/core/waker.hpp"

namespace sockcalc::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// Pending connections the kernel holds before accept(): a few scrapers at once.
constexpr int kBacklog = 16;
// After the reply, the rest of what a client sent is read and dropped for this long before the
// close: closing with unread bytes makes Linux send a reset, which may destroy the reply
// before the client read it (the "lingering close" of RFC 9112, section 9.6).
constexpr std::chrono::milliseconds kLinger{1000};
// After accept() fails for want of descriptors (EMFILE), the listener rests this long instead
// of waking poll() at once again: a pending connection keeps it readable.
constexpr std::chrono::milliseconds kAcceptPause{100};
// The longest the loop sleeps with no deadline due (only a connection or a stop wakes it).
constexpr int kMaxPollMs = 60'000;
// One read: a whole request from a scraper.
constexpr std::size_t kReadChunk = 4096;

Status set_int_option(int fd, int level, int name, int value, const char* option,
                      const Address& where) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return errno_error(errno, std::string("cannot set ") + option + " on TCP " + where.to_string());
  }
  return Ok{};
}

Result<UniqueFd> listen_on(const Address& local) {
  UniqueFd fd(::socket(local.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno_error(errno, "cannot open a TCP socket for " + local.to_string());
  // A restarted program binds its port again while the last run's connections sit in
  // TIME_WAIT.
  if (auto st = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", local); !st)
    return st.error();
  if (local.family() == AF_INET6) {
    // Dual stack on `::`, whatever net.ipv6.bindv6only says, as the datagram sockets do.
    auto st = set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY", local);
    if (!st) return st.error();
  }
  if (::bind(fd.get(), local.data(), local.length()) != 0) {
    return errno_error(errno, "cannot bind TCP " + local.to_string());
  }
  if (::listen(fd.get(), kBacklog) != 0) {
    return errno_error(errno, "cannot listen on TCP " + local.to_string());
  }
  return fd;
}

struct Connection {
  enum class Phase { reading, writing, lingering };
  UniqueFd fd;
  Clock::time_point deadline;
  Phase phase = Phase::reading;
  std::string in;
  std::string out;
  std::size_t sent = 0;
};

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Internal Server Error";
  }
}

// A reply with its headers; `content_length` may differ from body.size() for HEAD.
std::string reply(int status, std::string_view content_type, const std::string& body,
                  std::size_t content_length, std::string_view extra_headers = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
                  "\r\nContent-Type: " + std::string(content_type) +
                  "\r\nContent-Length: " + std::to_string(content_length) + "\r\n" +
                  std::string(extra_headers) + "Connection: close\r\n\r\n";
  return r + body;
}

std::string error_reply(int status, std::string_view extra_headers = {}) {
  const std::string body = std::string(reason_phrase(status)) + "\n";
  return reply(status, "text/plain; charset=utf-8", body, body.size(), extra_headers);
}

// RFC 9110 token characters: a method is made of them.
bool is_token(std::string_view s) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

// Where the head ends (just past its empty line), if it is complete. A bare LF ends lines too
// (RFC 9112 allows a recipient to accept it).
std::optional<std::size_t> head_end(std::string_view in) {
  const auto crlf = in.find("\r\n\r\n");
  const auto lf = in.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) {
    return crlf + 4;
  }
  return lf + 2;
}

// The head's lines, without their line ends.
std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    head.remove_prefix(nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

bool valid_header_line(std::string_view line) {
  const auto colon = line.find(':');
  return colon != std::string_view::npos && is_token(line.substr(0, colon));
}

}  // namespace

std::string respond(std::string_view head, const HttpEndpoint::Body& body) {
  const auto lines = split_lines(head);
  if (lines.empty()) return error_reply(400);
  // "METHOD SP TARGET SP VERSION", single spaces.
  const std::string_view line = lines.front();
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return error_reply(400);
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || !target.starts_with('/')) return error_reply(400);
  if (!std::all_of(lines.begin() + 1, lines.end(), valid_header_line)) return error_reply(400);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return error_reply(version.starts_with("HTTP/") ? 505 : 400);
  }
  if (target.substr(0, target.find('?')) != "/metrics") return error_reply(404);
  if (method != "GET" && method != "HEAD") return error_reply(405, "Allow: GET, HEAD\r\n");
  std::string text;
  try {
    text = body();
  } catch (...) {
    return error_reply(500);
  }
  const std::size_t length = text.size();
  if (method == "HEAD") text.clear();
  return reply(200, kTextFormat, text, length);
}

struct HttpEndpoint::State {
  State(UniqueFd l, Address a, Waker w, Body b, const EndpointLimits& lim)
      : listener(std::move(l)),
        local(std::move(a)),
        waker(std::move(w)),
        body(std::move(b)),
        limits(lim) {}

  UniqueFd listener;
  Address local;
  Waker waker;
  Body body;
  EndpointLimits limits;
  std::atomic<bool> stopping{false};
  std::thread thread;
  // The loop's own: oldest first.
  std::deque<Connection> connections;
  Clock::time_point accept_resumes{};

  void run();
  int poll_timeout(Clock::time_point now) const;
  void accept_all(Clock::time_point now);
  void read_from(Connection& c);
  void write_to(Connection& c, Clock::time_point now);
  void linger(Connection& c);
};

int HttpEndpoint::State::poll_timeout(Clock::time_point now) const {
  auto next = Clock::time_point::max();
  for (const Connection& c : connections) next = std::min(next, c.deadline);
  if (accept_resumes > now) next = std::min(next, accept_resumes);
  if (next == Clock::time_point::max()) return -1;
  return std::min(remaining_ms(next, now), kMaxPollMs);
}

void HttpEndpoint::State::accept_all(Clock::time_point now) {
  // Bounded: at most one round of the limit per turn, so that a flood of connections cannot
  // keep the loop from serving the ones it has.
  for (std::size_t i = 0; i < limits.max_connections; ++i) {
    const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        accept_resumes = now + kAcceptPause;
      }
      return;  // EAGAIN: none left; ECONNABORTED, EINTR: the next turn tries again
    }
    if (connections.size() >= limits.max_connections) connections.pop_front();
    Connection c;
    c.fd = UniqueFd(fd);
    c.deadline = now + limits.deadline;
    connections.push_back(std::move(c));
  }
}

void HttpEndpoint::State::read_from(Connection& c) {
  std::array<char, kReadChunk> buffer{};
  const ssize_t n = ::recv(c.fd.get(), buffer.data(), buffer.size(), 0);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.fd.reset();
    return;
  }
  if (n == 0) {  // the client went away before its request was complete
    c.fd.reset();
    return;
  }
  c.in.append(buffer.data(), static_cast<std::size_t>(n));
  const auto end = head_end(c.in);
  if (!end && c.in.size() <= limits.max_request_bytes) return;
  if (!end || *end > limits.max_request_bytes) {
    c.out = error_reply(431);
  } else {
    c.out = respond(std::string_view(c.in).substr(0, *end), body);
  }
  c.in.clear();
  c.phase = Connection::Phase::writing;
}

void HttpEndpoint::State::write_to(Connection& c, Clock::time_point now) {
  while (c.sent < c.out.size()) {
    const ssize_t n =
        ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.fd.reset();
      return;  // the rest when poll() says the client has read some
    }
    c.sent += static_cast<std::size_t>(n);
  }
  ::shutdown(c.fd.get(), SHUT_WR);
  c.phase = Connection::Phase::lingering;
  c.deadline = std::min(c.deadline, now + kLinger);
}

void HttpEndpoint::State::linger(Connection& c) {
  std::array<char, kReadChunk> buffer{};
  const ssize_t n = ::recv(c.fd.get(), buffer.data(), buffer.size(), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) c.fd.reset();
}

void HttpEndpoint::State::run() {
  std::vector<pollfd> fds;
  while (!stopping.load(std::memory_order_relaxed)) {
    const auto now = Clock::now();
    std::erase_if(connections,
                  [now](const Connection& c) { return c.fd.get() < 0 || c.deadline <= now; });
    fds.clear();
    fds.push_back({waker.fd(), POLLIN, 0});
    const bool accepting = accept_resumes <= now;
    fds.push_back({accepting ? listener.get() : -1, POLLIN, 0});
    for (const Connection& c : connections) {
      const short events = c.phase == Connection::Phase::writing ? POLLOUT : POLLIN;
      fds.push_back({c.fd.get(), events, 0});
    }
    const int ready = ::poll(fds.data(), fds.size(), poll_timeout(now));
    if (ready <= 0) continue;  // a deadline passed, or EINTR
    if (fds[0].revents != 0) waker.drain();
    const auto after = Clock::now();
    // Connections first, by index into fds (accepting may change the deque).
    for (std::size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      if (fds[i + 2].revents == 0) continue;
      if (c.phase == Connection::Phase::reading) read_from(c);
      if (c.fd.get() >= 0 && c.phase == Connection::Phase::writing)
        write_to(c, after);
      else if (c.fd.get() >= 0 && c.phase == Connection::Phase::lingering)
        linger(c);
    }
    if (fds[1].revents != 0) accept_all(after);
  }
  // Stopped: the clients, those not accepted yet too, see their connection closed now, not
  // when the owner destroys the endpoint.
  connections.clear();
  listener.reset();
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<State> state) : state_(std::move(state)) {}
HttpEndpoint::HttpEndpoint(HttpEndpoint&&) noexcept = default;
HttpEndpoint& HttpEndpoint::operator=(HttpEndpoint&& o) noexcept {
  if (this != &o) {
    stop();
    state_ = std::move(o.state_);
  }
  return *this;
}
HttpEndpoint::~HttpEndpoint() { stop(); }

const Address& HttpEndpoint::local_address() const { return state_->local; }

void HttpEndpoint::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->stopping.store(true, std::memory_order_relaxed);
  state_->waker.notify();
  state_->thread.join();
}

Result<HttpEndpoint> HttpEndpoint::start(const std::vector<Address>& candidates, Body body,
                                         const EndpointLimits& limits) {
  std::optional<Error> first_error;
  for (const Address& a : candidates) {
    auto listener = listen_on(a);
    if (!listener) {
      if (!first_error) first_error = listener.error();
      continue;
    }
    Address bound;
    socklen_t len = Address::capacity();
    if (::getsockname(listener->get(), bound.data(), &len) != 0) {
      return errno_error(errno, "cannot getsockname of TCP " + a.to_string());
    }
    bound.set_length(len);
    auto waker = Waker::create();
    if (!waker) return waker.error();
    auto state = std::make_unique<State>(std::move(*listener), bound, std::move(*waker),
                                         std::move(body), limits);
    try {
      state->thread = std::thread([s = state.get()] { s->run(); });
    } catch (const std::system_error& e) {
      return Error{e.code(), "cannot start the metrics thread"};
    }
    return HttpEndpoint(std::move(state));
  }
  if (first_error) return *first_error;
  return Error{std::make_error_code(std::errc::invalid_argument), "no address to listen on"};
}

}  // namespace sockcalc::metrics

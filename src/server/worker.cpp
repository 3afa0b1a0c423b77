// SPDX-License-Identifier: MIT
// server/worker.cpp -- implementation of server/worker.hpp.
#include "sockcalc/server/worker.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/socket/sys.hpp"

namespace sockcalc::server {

Worker::Worker(const DatagramSocket& socket, const WorkerConfig& config, Control& control)
    : socket_(socket),
      config_(config),
      control_(control),
      io_(make_datagram_io(config.options.engine, socket, config.options.batch,
                           config.reply_from)) {
  const double rate = config.options.rate_limit;
  if (rate > 0) limiter_.emplace(rate, rate);
}

// An idle worker sleeps in the receive itself: a request then costs one receive and one send,
// where a non-blocking receive would first fail and call poll(). The server readied the socket
// for it (block_receives()); should the socket have refused, the worker sleeps in poll().
RecvWait Worker::receive_wait() {
  if (config_.idle != IdleWait::in_receive) return RecvWait::no;
  if (socket_.receive_mode() == ReceiveMode::blocking) return RecvWait::for_one;
  config_.idle = IdleWait::in_poll;
  return RecvWait::no;
}

void Worker::run() {
  const RecvWait wait = receive_wait();
  while (!control_.stop.load(std::memory_order_relaxed)) {
    int error = 0;
    const std::size_t n = io_->recv(wait, error);
    if (error != 0) ++stats_.recv_failed;
    // request_stop() shuts the server's own sockets down for reading, which ends a sleeping
    // receive with an empty "datagram" from nobody: not a request. Whatever came with it goes
    // unanswered, as does every datagram that arrives once stop is requested.
    if (control_.stop.load(std::memory_order_relaxed)) break;
    check_requests();
    if (error != 0) {
      back_off("receive", error, recv_backoff_);  // else a persistent error would spin the loop
      continue;
    }
    recv_backoff_ = std::chrono::milliseconds{0};
    if (n > 0) {
      serve(n);
    } else if (config_.idle == IdleWait::in_poll) {
      wait_readable();
    }
  }
}

bool Worker::wait_readable() {
  std::array<pollfd, 2> fds{{{socket_.fd(), POLLIN, 0}, {control_.waker.fd(), POLLIN, 0}}};
  if (sys::calls().poll(fds.data(), fds.size(), -1) < 0) {
    // EINTR: look at the flags again. Anything else would fail again at once: back off.
    if (errno != EINTR) back_off("wait for a datagram", errno, wait_backoff_);
    return false;
  }
  wait_backoff_ = std::chrono::milliseconds{0};
  if (fds[1].revents != 0) take_wake();
  return fds[0].revents != 0;
}

bool Worker::take_wake() {
  control_.waker.drain();
  // Stop is meant for every worker: a drain must not swallow the wake-up of the others, which
  // may still sleep in poll() on the same eventfd.
  const bool stop = control_.stop.load(std::memory_order_relaxed);
  if (stop) control_.waker.notify();
  return stop;
}

void Worker::back_off(const char* call, int error, std::chrono::milliseconds& delay) {
  if (!logged_failure_ && config_.log) {
    logged_failure_ = true;
    auto local = socket_.local_address();
    const std::string where = local ? local->to_string() : "fd " + std::to_string(socket_.fd());
    config_.log(errno_error(error, std::string("cannot ") + call + " on " + where).message() +
                "; trying again after a pause (this worker logs no further failure; "
                "recv_failed counts the receives)");
  }
  delay = std::clamp(delay * 2, kFirstBackoff,
                     std::chrono::duration_cast<std::chrono::milliseconds>(kReportTick));
  // Sleeps on the waker alone: the socket may well stay readable (an error pending on it).
  pollfd waker{control_.waker.fd(), POLLIN, 0};
  const int n = sys::calls().poll(&waker, 1, static_cast<int>(delay.count()));
  if (n > 0) {
    take_wake();
  } else if (n < 0 && errno != EINTR) {
    std::this_thread::sleep_for(delay);  // poll() fails too: sleep all the same
  }
}

void Worker::check_requests() {
  if (control_.report.load(std::memory_order_relaxed) && control_.report.exchange(false) &&
      config_.on_report) {
    config_.on_report();
  }
  if (control_.reload.load(std::memory_order_relaxed) && control_.reload.exchange(false) &&
      config_.options.on_reload) {
    config_.options.on_reload();
  }
}

void Worker::serve(std::size_t received) {
  const auto rx = io_->rx();
  const auto tx = io_->tx();
  std::size_t replies = 0;
  for (std::size_t i = 0; i < received; ++i) {
    replies += answer_into(rx[i], tx[replies]);
  }
  if (replies == 0) return;
  const SendOutcome out = io_->send(replies);
  stats_.answered += out.sent;
  stats_.send_failed += out.failed;
  const bool tapping = static_cast<bool>(config_.options.tap);
  if (!tapping) return;
  for (std::size_t i = 0; i < replies; ++i) {
    const TxSlot& t = tx[i];
    config_.options.tap(TapRecord{t.error != 0 ? TapEvent::send_failed : TapEvent::sent,
                                  *t.peer,
                                  {t.data.data(), t.size},
                                  t.size,
                                  t.format,
                                  t.error,
                                  t.source});
  }
}

// Answers one datagram into `tx`; returns 1 when there is a reply to send, 0 when not.
std::size_t Worker::answer_into(const RxSlot& rx, TxSlot& tx) {
  ++stats_.received;
  if (rx.wire_length > rx.held) ++stats_.truncated;
  const protocol::Bytes request(rx.data.data(), rx.held);
  const bool tapping = static_cast<bool>(config_.options.tap);
  if (tapping) {
    config_.options.tap(TapRecord{TapEvent::received, rx.peer, request, rx.wire_length,
                                  protocol::Format::integer, 0, &rx.destination});
  }
  if (limiter_ && !limiter_->allow(rx.peer, RateLimiter::Clock::now())) {
    ++stats_.rate_limited;
    if (tapping) {
      config_.options.tap(TapRecord{TapEvent::rate_limited, rx.peer, request, rx.wire_length,
                                    protocol::Format::integer, 0, &rx.destination});
    }
    return 0;
  }
  if (rx.peer.is_unnamed()) {  // P-13: nobody to reply to
    ++stats_.unanswerable;
    if (tapping) {
      config_.options.tap(TapRecord{TapEvent::unanswerable, rx.peer, request, rx.wire_length,
                                    protocol::Format::integer, 0, &rx.destination});
    }
    return 0;
  }
  const protocol::Answer a = protocol::answer(request, rx.wire_length, tx.data);
  if (a.fault) {
    stats_.count_error(a.fault->error);
  } else {
    ++stats_.results;
  }
  tx.size = a.size;
  tx.peer = &rx.peer;
  tx.source = &rx.destination;
  tx.format = a.format;
  return 1;
}

}  // namespace sockcalc::server

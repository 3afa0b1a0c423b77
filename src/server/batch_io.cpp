// SPDX-License-Identifier: MIT
// server/batch_io.cpp -- implementation of server/batch_io.hpp.
#include "sockcalc/server/batch_io.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace sockcalc::server {
namespace {

// The errno of a receive that failed for another reason than "nothing to read", else 0.
int failure_of(RecvOutcome outcome, int error) {
  return outcome == RecvOutcome::failed ? error : 0;
}

// Calls `send` (returning an errno) until it succeeds or fails otherwise than by EINTR, at most
// 1 + kMaxInterruptedSends times.
template <typename Send>
int send_retrying(Send send) {
  int err = send();
  for (int i = 0; err == EINTR && i < kMaxInterruptedSends; ++i) err = send();
  return err;
}

// Wires `m` to one datagram buffer, one address and (with destinations) one control buffer.
void wire(msghdr& m, iovec& iov, std::span<std::byte> data, Address& name, PktinfoBuffer* control) {
  iov = {data.data(), data.size()};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_name = name.data();
  m.msg_namelen = Address::capacity();
  m.msg_control = control != nullptr ? control->bytes.data() : nullptr;
  m.msg_controllen = control != nullptr ? control->bytes.size() : 0;
}

// Points `m` at a reply: its bytes, its peer and, when it has one, its source.
void aim(msghdr& m, iovec& iov, TxSlot& t, bool with_source) {
  iov = {t.data.data(), t.size};
  m.msg_name = const_cast<sockaddr*>(t.peer->data());
  m.msg_namelen = t.peer->length();
  m.msg_controllen = with_source ? t.source->write_control(t.control) : 0;
  // A zero length with a control pointer is fine for the kernel, but tidier without.
  m.msg_control = m.msg_controllen != 0 ? t.control.bytes.data() : nullptr;
}

// What recvmsg/recvmmsg filled in for one slot; readies `m` for the next call.
void take(RxSlot& s, msghdr& m, std::size_t length, bool with_destinations) {
  s.peer.set_length(m.msg_namelen);
  m.msg_namelen = Address::capacity();
  if (with_destinations) {
    s.destination = ReplySource::from_received(m);
    m.msg_controllen = s.control.bytes.size();
  }
  s.wire_length = length;
  s.held = std::min(s.wire_length, s.data.size());
}

// The course's loop: one recvfrom, one sendto; recvmsg and sendmsg when replies must leave
// from each request's destination.
class SimpleIo final : public DatagramIo {
 public:
  SimpleIo(const DatagramSocket& socket, ReplyFrom reply_from)
      : DatagramIo(socket, 1, reply_from) {}

  std::size_t recv(RecvWait wait, int& error) override {
    RxSlot& s = rx_[0];
    RecvResult r;
    if (with_destinations()) {
      msghdr m{};
      iovec iov{};
      wire(m, iov, s.data, s.peer, &s.control);
      r = socket_.recv_message(m, wait);
      if (r.outcome == RecvOutcome::received) take(s, m, r.wire_length, true);
    } else {
      r = socket_.recv_from(s.data, &s.peer, wait);
      if (r.outcome == RecvOutcome::received) {
        s.wire_length = r.wire_length;
        s.held = r.held;
      }
    }
    if (r.outcome == RecvOutcome::received) return 1;
    error = failure_of(r.outcome, r.error);
    return 0;
  }

  SendOutcome send(std::size_t n) override {
    SendOutcome out;
    for (std::size_t i = 0; i < n; ++i) {
      TxSlot& t = tx_[i];
      if (with_destinations()) {
        msghdr m{};
        iovec iov{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        aim(m, iov, t, true);
        t.error = send_retrying([&] { return socket_.send_message(m); });
      } else {
        t.error = send_retrying([&] { return socket_.send_to({t.data.data(), t.size}, *t.peer); });
      }
      ++(t.error != 0 ? out.failed : out.sent);
    }
    return out;
  }
};

// recvmmsg/sendmmsg over headers wired to the slots once, at construction.
class MmsgIo final : public DatagramIo {
 public:
  MmsgIo(const DatagramSocket& socket, std::size_t batch, ReplyFrom reply_from)
      : DatagramIo(socket, batch, reply_from),
        rx_iov_(batch),
        rx_msgs_(batch),
        tx_iov_(batch),
        tx_msgs_(batch) {
    for (std::size_t i = 0; i < batch; ++i) {
      wire(rx_msgs_[i].msg_hdr, rx_iov_[i], rx_[i].data, rx_[i].peer,
           with_destinations() ? &rx_[i].control : nullptr);
      tx_msgs_[i].msg_hdr.msg_iov = &tx_iov_[i];
      tx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  std::size_t recv(RecvWait wait, int& error) override {
    // MSG_TRUNC applies to each message: msg_len is then the datagram's real length.
    const BatchRecvResult r = socket_.recv_batch(rx_msgs_, wait);
    if (r.outcome != RecvOutcome::received) {
      error = failure_of(r.outcome, r.error);
      return 0;
    }
    for (std::size_t i = 0; i < r.count; ++i) {
      // recvmmsg wrote the lengths of these headers, and only these: take() readies them.
      take(rx_[i], rx_msgs_[i].msg_hdr, rx_msgs_[i].msg_len, with_destinations());
    }
    return r.count;
  }

  SendOutcome send(std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      aim(tx_msgs_[i].msg_hdr, tx_iov_[i], tx_[i], with_destinations());
      tx_[i].error = 0;
    }
    SendOutcome out;
    std::size_t next = 0;
    int interrupted = 0;  // EINTRs in a row on the reply at `next`
    // sendmmsg may send fewer than asked: go on from the first one not sent. When it refuses
    // the first one outright, that reply is lost: count it and skip it. An interrupted call
    // sent nothing: try again, a bounded number of times.
    while (next < n) {
      const BatchSendResult r = socket_.send_batch(std::span(tx_msgs_).subspan(next, n - next));
      if (r.sent > 0) {
        out.sent += r.sent;
        next += r.sent;
        interrupted = 0;
      } else if (r.error == EINTR && interrupted < kMaxInterruptedSends) {
        ++interrupted;
      } else {
        tx_[next].error = r.error;
        ++out.failed;
        ++next;
        interrupted = 0;
      }
    }
    return out;
  }

 private:
  std::vector<iovec> rx_iov_;
  std::vector<mmsghdr> rx_msgs_;
  std::vector<iovec> tx_iov_;
  std::vector<mmsghdr> tx_msgs_;
};

}  // namespace

std::unique_ptr<DatagramIo> make_datagram_io(Engine engine, const DatagramSocket& socket,
                                             std::size_t batch, ReplyFrom reply_from) {
  if (engine == Engine::simple || batch <= 1) {
    return std::make_unique<SimpleIo>(socket, reply_from);
  }
  return std::make_unique<MmsgIo>(socket, batch, reply_from);
}

}  // namespace sockcalc::server

// SPDX-License-Identifier: MIT
// server/batch_io.cpp -- implementation of server/batch_io.hpp.
#include "sockcalc/server/batch_io.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

namespace sockcalc::server {
namespace {

bool nothing_to_read(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// The socket may be blocking (prepare_waiting_receive): only a waiting receive may sleep.
int recv_flags(RecvWait wait) { return MSG_TRUNC | (wait == RecvWait::no ? MSG_DONTWAIT : 0); }
constexpr int kSendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;

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
  SimpleIo(int fd, ReplyFrom reply_from) : DatagramIo(fd, 1, reply_from) {}

  std::size_t recv(RecvWait wait, int& error) override {
    RxSlot& s = rx_[0];
    ssize_t n = 0;
    if (with_destinations()) {
      msghdr m{};
      iovec iov{};
      wire(m, iov, s.data, s.peer, &s.control);
      n = ::recvmsg(fd_, &m, recv_flags(wait));
      if (n >= 0) take(s, m, static_cast<std::size_t>(n), true);
    } else {
      socklen_t len = Address::capacity();
      // MSG_TRUNC: return the datagram's real length even when it did not fit.
      n = ::recvfrom(fd_, s.data.data(), s.data.size(), recv_flags(wait), s.peer.data(), &len);
      if (n >= 0) {
        s.peer.set_length(len);
        s.wire_length = static_cast<std::size_t>(n);
        s.held = std::min(s.wire_length, s.data.size());
      }
    }
    if (n < 0) {
      if (!nothing_to_read(errno)) error = errno;
      return 0;
    }
    return 1;
  }

  SendOutcome send(std::size_t n) override {
    SendOutcome out;
    for (std::size_t i = 0; i < n; ++i) {
      TxSlot& t = tx_[i];
      ssize_t r = 0;
      if (with_destinations()) {
        msghdr m{};
        iovec iov{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        aim(m, iov, t, true);
        r = ::sendmsg(fd_, &m, kSendFlags);
      } else {
        r = ::sendto(fd_, t.data.data(), t.size, kSendFlags, t.peer->data(), t.peer->length());
      }
      t.error = r < 0 ? errno : 0;
      ++(r < 0 ? out.failed : out.sent);
    }
    return out;
  }
};

// recvmmsg/sendmmsg over headers wired to the slots once, at construction.
class MmsgIo final : public DatagramIo {
 public:
  MmsgIo(int fd, std::size_t batch, ReplyFrom reply_from)
      : DatagramIo(fd, batch, reply_from),
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
    // MSG_WAITFORONE: once one datagram is in, take only those already queued.
    const int n = ::recvmmsg(fd_, rx_msgs_.data(), static_cast<unsigned>(rx_msgs_.size()),
                             recv_flags(wait) | MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (!nothing_to_read(errno)) error = errno;
      return 0;
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      // recvmmsg wrote the lengths of these headers, and only these: take() readies them.
      take(rx_[i], rx_msgs_[i].msg_hdr, rx_msgs_[i].msg_len, with_destinations());
    }
    return static_cast<std::size_t>(n);
  }

  SendOutcome send(std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      aim(tx_msgs_[i].msg_hdr, tx_iov_[i], tx_[i], with_destinations());
      tx_[i].error = 0;
    }
    SendOutcome out;
    std::size_t next = 0;
    // sendmmsg may send fewer than asked: go on from the first one not sent. When it refuses
    // the first one outright, that reply is lost: count it and skip it.
    while (next < n) {
      const int k = ::sendmmsg(fd_, &tx_msgs_[next], static_cast<unsigned>(n - next), kSendFlags);
      if (k > 0) {
        out.sent += static_cast<std::size_t>(k);
        next += static_cast<std::size_t>(k);
      } else if (k < 0 && errno == EINTR) {
        continue;
      } else {
        tx_[next].error = k < 0 ? errno : EIO;
        ++out.failed;
        ++next;
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

std::unique_ptr<DatagramIo> make_datagram_io(IoMechanism mechanism, int fd, std::size_t batch,
                                             ReplyFrom reply_from) {
  if (mechanism == IoMechanism::simple || batch <= 1) {
    return std::make_unique<SimpleIo>(fd, reply_from);
  }
  return std::make_unique<MmsgIo>(fd, batch, reply_from);
}

int prepare_waiting_receive(int fd, std::chrono::microseconds tick) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return errno;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(tick);
  const timeval timeout{static_cast<time_t>(seconds.count()),
                        static_cast<suseconds_t>((tick - seconds).count())};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) return errno;
  return 0;
}

}  // namespace sockcalc::server

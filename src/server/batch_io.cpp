// server/batch_io.cpp -- implementation of server/batch_io.hpp.
#include "server/batch_io.hpp"

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

// The course's loop: one recvfrom, one sendto.
class SimpleIo final : public DatagramIo {
 public:
  explicit SimpleIo(int fd) : DatagramIo(fd, 1) {}

  std::size_t recv(RecvWait wait, int& error) override {
    RxSlot& s = rx_[0];
    socklen_t len = Address::capacity();
    // MSG_TRUNC: return the datagram's real length even when it did not fit.
    const ssize_t n =
        ::recvfrom(fd_, s.data.data(), s.data.size(), recv_flags(wait), s.peer.data(), &len);
    if (n < 0) {
      if (!nothing_to_read(errno)) error = errno;
      return 0;
    }
    s.peer.set_length(len);
    s.wire_length = static_cast<std::size_t>(n);
    s.held = std::min(s.wire_length, s.data.size());
    return 1;
  }

  SendOutcome send(std::size_t n) override {
    SendOutcome out;
    for (std::size_t i = 0; i < n; ++i) {
      TxSlot& t = tx_[i];
      const ssize_t r =
          ::sendto(fd_, t.data.data(), t.size, kSendFlags, t.peer->data(), t.peer->length());
      t.error = r < 0 ? errno : 0;
      ++(r < 0 ? out.failed : out.sent);
    }
    return out;
  }
};

// recvmmsg/sendmmsg over headers wired to the slots once, at construction.
class MmsgIo final : public DatagramIo {
 public:
  MmsgIo(int fd, std::size_t batch)
      : DatagramIo(fd, batch), rx_iov_(batch), rx_msgs_(batch), tx_iov_(batch), tx_msgs_(batch) {
    for (std::size_t i = 0; i < batch; ++i) {
      rx_iov_[i] = {rx_[i].data.data(), rx_[i].data.size()};
      rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
      rx_msgs_[i].msg_hdr.msg_iovlen = 1;
      rx_msgs_[i].msg_hdr.msg_name = rx_[i].peer.data();
      rx_msgs_[i].msg_hdr.msg_namelen = Address::capacity();
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
    for (int i = 0; i < n; ++i) {
      RxSlot& s = rx_[static_cast<std::size_t>(i)];
      mmsghdr& m = rx_msgs_[static_cast<std::size_t>(i)];
      s.peer.set_length(m.msg_hdr.msg_namelen);
      // recvmmsg wrote this msg_namelen, and only this one: ready it for the next call.
      m.msg_hdr.msg_namelen = Address::capacity();
      s.wire_length = m.msg_len;
      s.held = std::min(s.wire_length, s.data.size());
    }
    return static_cast<std::size_t>(n);
  }

  SendOutcome send(std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      tx_iov_[i] = {tx_[i].data.data(), tx_[i].size};
      tx_msgs_[i].msg_hdr.msg_name = const_cast<sockaddr*>(tx_[i].peer->data());
      tx_msgs_[i].msg_hdr.msg_namelen = tx_[i].peer->length();
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

std::unique_ptr<DatagramIo> make_datagram_io(IoMechanism mechanism, int fd, std::size_t batch) {
  if (mechanism == IoMechanism::simple || batch <= 1) return std::make_unique<SimpleIo>(fd);
  return std::make_unique<MmsgIo>(fd, batch);
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

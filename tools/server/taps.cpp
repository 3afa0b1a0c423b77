// SPDX-License-Identifier: MIT
// tools/server/taps.cpp -- implementation of taps.hpp.
#include "taps.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "log.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "trace.hpp"

namespace sockcalc::server_program {
namespace {

using cli::Severity;

// On a wildcard address, the server's side is the address the request was sent to.
Address server_side(const server::TapRecord& r, const Address& local) {
  return r.local != nullptr && !r.local->empty() ? r.local->address(local.port()) : local;
}

}  // namespace

Status Capture::open() {
  auto opened = capture::PcapWriter::open(path, capture::link_for(local));
  if (!opened) return opened.error();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
  const std::lock_guard lock(mutex_);
  if (writer_) static_cast<void>(writer_->close());  // the old file: its records are all out
  writer_.emplace(std::move(*opened));
  failed_.store(false);
  return Ok{};
}

void Capture::reopen() {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_) {
    cli::log_line(Severity::info, "capture " + path + " is still in place: kept");
    return;
  }
  if (const Status st_open = open(); !st_open) {
    const std::lock_guard lock(mutex_);
    failed_.store(true);
    cli::log_line(Severity::warning, st_open.error().message() + "; the capture stops here");
    return;
  }
  cli::log_line(Severity::info, "capture " + path + " reopened: a new file");
}

void Capture::record(const server::TapRecord& r) {
  const std::lock_guard lock(mutex_);
  if (!writer_ || failed_.load(std::memory_order_relaxed)) return;
  const auto now = std::chrono::system_clock::now();
  const Address side = server_side(r, local);
  Status written = Ok{};
  if (r.event == server::TapEvent::received) {
    written = writer_->write_truncated(r.peer, side, r.bytes, r.wire_length, now);
  } else if (r.event == server::TapEvent::sent) {
    written = writer_->write(side, r.peer, r.bytes, now);
  }
  // Said once, by the first worker that sees it (the writer refuses every later record).
  if (!written && !failed_.exchange(true)) {
    cli::log_line(Severity::warning, written.error().message() + "; the capture stops here");
  }
}

void Diagram::record(const server::TapRecord& r) {
  using server::TapEvent;
  const std::string side = cli::entity_of(server_side(r, local));
  const std::string peer = cli::entity_of(r.peer);
  if (r.event == TapEvent::unanswerable || r.event == TapEvent::rate_limited) {
    file->mark(side, "no reply to " + peer +
                         (r.event == TapEvent::rate_limited ? ": over its rate limit"
                                                            : ": the sender has no address"));
    return;
  }
  msc::Datagram arc;
  arc.when = msc::Clock::now();
  const bool received = r.event == TapEvent::received;
  arc.from = received ? peer : side;
  arc.to = received ? side : peer;
  arc.role = received ? msc::Role::request : msc::Role::reply;
  arc.bytes.assign(r.bytes.begin(), r.bytes.end());
  arc.wire_length = r.wire_length;
  if (r.event == TapEvent::send_failed) {
    arc.fate = msc::Fate::lost;
    arc.note = std::string("not sent: ") + std::strerror(r.error);
  }
  file->add(std::move(arc));
}

void log_datagram(const server::TapRecord& r) {
  using server::TapEvent;
  std::string line;
  Severity severity = Severity::warning;
  switch (r.event) {
    case TapEvent::received:
      line = cli::trace_line("from", r.peer, r.bytes, r.wire_length,
                             protocol::describe_request(r.bytes, r.wire_length));
      severity = Severity::debug;
      break;
    case TapEvent::sent:
      line = cli::trace_line("to", r.peer, r.bytes, r.wire_length,
                             protocol::describe_reply(r.bytes, r.format));
      severity = Severity::debug;
      break;
    case TapEvent::send_failed:
      line = "reply to " + r.peer.to_string() + " lost: " + std::strerror(r.error);
      break;
    case TapEvent::unanswerable:
      line = "no reply to " + r.peer.to_string() + ": the sender has no address";
      break;
    case TapEvent::rate_limited:
      line = "no reply to " + r.peer.to_string() + ": over its rate limit";
      break;
  }
  cli::log_line(severity, line);
}

}  // namespace sockcalc::server_program

// SPDX-License-Identifier: MIT
// tools/server/taps.hpp -- what the `server` program makes of its workers' tap
// (server/engine.hpp): the --pcap capture, the --msc diagram and the -v trace. Every worker calls
// them; each locks what it shares.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "msc_option.hpp"
#include "sockcalc/address/address.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/server/engine.hpp"

namespace sockcalc::server_program {

// The --pcap capture: opened once the local address is known, written by the workers' tap,
// replaced by a new file on SIGHUP when the old one was moved away. `mutex` keeps a worker's
// record from meeting the swap (PcapWriter itself serialises the writes).
struct Capture {
  std::string path;
  Address local;

  /// Opens `path` (a new file): "cannot open pcap file ...".
  Status open();
  /// SIGHUP: a file still at `path` is kept (reopening would truncate it); a file moved away
  /// (logrotate) or removed is closed, and a new one begins at `path` with its own pcap header.
  void reopen();
  /// A worker's record; a failed write (a full disk) ends the capture, not the service.
  void record(const server::TapRecord& r);

 private:
  std::mutex mutex_;
  std::optional<capture::PcapWriter> writer_;
  dev_t device_ = 0;  // the file this writer writes, to tell whether it is still at `path`
  ino_t inode_ = 0;
  std::atomic<bool> failed_{false};
};

// The --msc diagram: each request and reply as an arc between the client and the server's
// side (the address the request was sent to), a reply the kernel refused as a lost arc, a
// request left unanswered as a box. Written by the workers' tap; MscFile locks.
struct Diagram {
  std::optional<cli::MscFile> file;
  Address local;

  void record(const server::TapRecord& r);
};

/// The -v trace of one tap record, on stderr: a datagram left unanswered is a warning.
void log_datagram(const server::TapRecord& r);

}  // namespace sockcalc::server_program

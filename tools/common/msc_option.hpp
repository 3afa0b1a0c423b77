// SPDX-License-Identifier: MIT
// tools/common/msc_option.hpp -- internal to tools/.
// MscFile: the --msc FILE option of client, server and linksim. Records the datagrams a program
// sends and receives in an msc::Chart and writes it, as mscgen input, when the program ends
// (docs/DIAGRAMS.md). Thread-safe: every call takes an internal mutex (a server's workers
// share one). A program without --msc holds none, and its datagrams pay nothing.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/msc/chart.hpp"

namespace sockcalc::cli {

class MscFile {
 public:
  /// Creates (or truncates) `path` now, so that a file that cannot be written stops the
  /// program at start, as --pcap does ("cannot open msc file PATH: reason").
  static Result<std::FILE*> create(const std::string& path);
  MscFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  MscFile(const MscFile&) = delete;
  MscFile& operator=(const MscFile&) = delete;
  ~MscFile();

  void name(const std::string& entity, std::string title);
  std::size_t add(msc::Datagram datagram);
  void annotate(std::size_t index, const std::string& text);
  void mark(const std::string& entity, std::string text);

  /// Writes the chart and closes the file: "cannot write msc file PATH: reason" on failure.
  /// Later calls do nothing.
  Status finish();
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t arcs();

 private:
  std::mutex mutex_;
  std::string path_;
  std::FILE* file_ = nullptr;
  msc::Chart chart_;
};

/// The entity name of an address, as the programs print it.
std::string entity_of(const Address& address);

}  // namespace sockcalc::cli

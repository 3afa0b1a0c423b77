// SPDX-License-Identifier: MIT
// tools/common/msc_option.cpp -- implementation of msc_option.hpp.
#include "msc_option.hpp"

#include <cerrno>

#include "sockcalc/address/address.hpp"

namespace sockcalc::cli {

Result<std::FILE*> MscFile::create(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return errno_error(errno, "cannot open msc file " + path);
  return file;
}

MscFile::~MscFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void MscFile::name(const std::string& entity, std::string title) {
  const std::lock_guard lock(mutex_);
  chart_.name(entity, std::move(title));
}

std::size_t MscFile::add(msc::Datagram datagram) {
  const std::lock_guard lock(mutex_);
  return chart_.add(std::move(datagram));
}

void MscFile::annotate(std::size_t index, const std::string& text) {
  const std::lock_guard lock(mutex_);
  chart_.annotate(index, text);
}

void MscFile::mark(const std::string& entity, std::string text) {
  const std::lock_guard lock(mutex_);
  chart_.mark(msc::Clock::now(), entity, std::move(text));
}

std::size_t MscFile::arcs() {
  const std::lock_guard lock(mutex_);
  return chart_.arcs();
}

Status MscFile::finish() {
  const std::lock_guard lock(mutex_);
  if (file_ == nullptr) return Ok{};
  const std::string text = chart_.render();
  const bool written =
      std::fwrite(text.data(), 1, text.size(), file_) == text.size() && std::fflush(file_) == 0;
  const int write_error = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!written || !closed) {
    return errno_error(!written ? write_error : errno, "cannot write msc file " + path_);
  }
  return Ok{};
}

std::string entity_of(const Address& address) { return address.to_string(); }

}  // namespace sockcalc::cli

// SPDX-License-Identifier: MIT
// linksim/fault.cpp -- implementation of linksim/fault.hpp.
// Draws each datagram's fate from the RNG in a fixed order of ten values.
// Pure; an object is used by one thread at a time.
#include "sockcalc/linksim/fault.hpp"

#include <cmath>
#include <cstdio>
#include <system_error>

namespace sockcalc::linksim {
namespace {

// 2^-53: turns the top 53 bits of a 64-bit draw into a double in [0, 1) exactly.
constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
// A byte mask is drawn in 1..255: zero would flip nothing.
constexpr std::uint64_t kNonZeroMasks = 255;

std::string percent_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", v);
  return buf;
}

std::optional<std::string> check_rate(std::string_view name, double v) {
  if (std::isfinite(v) && v >= 0 && v <= kMaxRate) return std::nullopt;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return std::string(name) + " " + buf + " is out of range 0..100 (a percentage)";
}

std::optional<std::string> check_time(std::string_view name, std::chrono::milliseconds v) {
  if (v.count() >= 0 && v <= kMaxDelay) return std::nullopt;
  return std::string(name) + " " + std::to_string(v.count()) + " ms is out of range 0.." +
         std::to_string(kMaxDelay.count()) + " ms";
}

}  // namespace

std::string_view to_string(Direction d) { return d == Direction::forward ? "forward" : "reverse"; }

std::optional<std::string> validate(const FaultConfig& c) {
  for (auto reason :
       {check_rate("loss", c.loss), check_rate("dup", c.duplicate),
        check_rate("reorder", c.reorder), check_rate("corrupt", c.corrupt),
        check_rate("cut", c.cut), check_time("delay", c.delay), check_time("jitter", c.jitter)}) {
    if (reason) return reason;
  }
  return std::nullopt;
}

std::string to_string(const FaultConfig& c) {
  return "loss " + percent_text(c.loss) + ", dup " + percent_text(c.duplicate) + ", reorder " +
         percent_text(c.reorder) + ", corrupt " + percent_text(c.corrupt) + ", cut " +
         percent_text(c.cut) + ", delay " + std::to_string(c.delay.count()) + " ms + jitter 0.." +
         std::to_string(c.jitter.count()) + " ms";
}

std::string to_string(const Decision& d) {
  if (d.drop) return "drop";
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (d.cut_to) add("cut to " + std::to_string(*d.cut_to));
  if (d.corrupt) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "corrupt byte %zu (xor 0x%02x)", d.corrupt->index,
                  static_cast<unsigned>(d.corrupt->mask));
    add(buf);
  }
  if (d.reorder) add("reorder");
  if (d.delay.count() > 0) add("delay " + std::to_string(d.delay.count()) + " ms");
  if (d.duplicate) add("dup (+" + std::to_string(d.duplicate->count()) + " ms)");
  return out.empty() ? "pass" : out;
}

void apply(const Decision& d, std::vector<std::byte>& datagram) {
  if (d.drop) return;
  if (d.cut_to && *d.cut_to < datagram.size()) datagram.resize(*d.cut_to);
  if (d.corrupt && d.corrupt->index < datagram.size()) {
    datagram[d.corrupt->index] ^= std::byte{d.corrupt->mask};
  }
}

Result<FaultDecider> FaultDecider::create(const FaultConfig& config, std::uint64_t seed) {
  if (auto reason = validate(config)) {
    return validation_error(*reason);
  }
  return FaultDecider(config, seed);
}

bool FaultDecider::chance(double percent) {
  const double u = static_cast<double>(rng_() >> 11) * kTwoToMinus53;  // [0, 1)
  return u * 100.0 < percent;
}

std::uint64_t FaultDecider::below(std::uint64_t bound) {
  // The modulo bias is bound / 2^64: below 1e-13 for any datagram size.
  return rng_() % bound;
}

std::chrono::milliseconds FaultDecider::jittered_delay() {
  const auto extra = static_cast<std::uint64_t>(config_.jitter.count()) + 1;
  return config_.delay + std::chrono::milliseconds(static_cast<std::int64_t>(below(extra)));
}

Decision FaultDecider::decide(std::size_t size) {
  // Ten draws, always, in this order (see the class comment).
  Decision d;
  d.drop = chance(config_.loss);
  const bool cut = chance(config_.cut);
  const std::size_t cut_length = size > 0 ? below(size) : 0;
  const bool corrupt = chance(config_.corrupt);
  const std::uint64_t index_draw = rng_();
  const auto mask = static_cast<std::uint8_t>(1 + below(kNonZeroMasks));
  const bool duplicate = chance(config_.duplicate);
  d.reorder = chance(config_.reorder);
  d.delay = jittered_delay();
  const auto duplicate_delay = jittered_delay();
  if (d.drop) {
    Decision dropped;
    dropped.drop = true;
    return dropped;
  }

  std::size_t length = size;
  if (cut && size > 0) {
    d.cut_to = cut_length;
    length = cut_length;
  }
  if (corrupt && length > 0) d.corrupt = Corruption{index_draw % length, mask};
  if (duplicate) d.duplicate = duplicate_delay;
  return d;
}

std::uint64_t direction_seed(std::uint64_t seed, Direction d) {
  // splitmix64 (Steele, Lea, Flood 2014): a bijective mixer, so distinct inputs stay distinct.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (as_index(d) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace sockcalc::linksim

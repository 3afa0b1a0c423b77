// SPDX-License-Identifier: MIT
// linksim/fault.hpp -- public.
// The fault decider: one direction's fault configuration plus a seeded RNG gives the fate of
// each datagram (drop, cut, corrupt, duplicate, reorder, delay). Pure: no I/O, no clock.
// One FaultDecider per direction; an object is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/core/result.hpp"

namespace sockcalc::linksim {

/// The two directions of the link. forward = client -> server, reverse = server -> client.
enum class Direction : std::uint8_t { forward = 0, reverse = 1 };
inline constexpr std::size_t kDirections = 2;
inline constexpr std::size_t as_index(Direction d) { return static_cast<std::size_t>(d); }
std::string_view to_string(Direction d);  // "forward", "reverse"

/// Rates are percentages 0..100 (decimals allowed); times are in milliseconds.
inline constexpr double kMaxRate = 100.0;
/// A minute: far above anything a link test needs, low enough that held datagrams stay few.
inline constexpr std::chrono::milliseconds kMaxDelay{60'000};

/// The faults applied to one direction of the link. All zero: a perfect link.
struct FaultConfig {
  double loss = 0;       // drop the datagram
  double duplicate = 0;  // send a second copy, with its own jitter
  double reorder = 0;    // hold it back behind the next datagram of its flow and direction
  double corrupt = 0;    // xor one random byte with a random non-zero mask
  double cut = 0;        // truncate to a random shorter length, 0..size-1
  std::chrono::milliseconds delay{0};   // added to every copy
  std::chrono::milliseconds jitter{0};  // uniform 0..jitter more, drawn for each copy

  friend bool operator==(const FaultConfig&, const FaultConfig&) = default;
};

/// The reason `config` is invalid ("loss 150 is out of range 0..100"), or nullopt. Rates must
/// be finite and in 0..100 (never wrapped), delay and jitter in 0..kMaxDelay.
std::optional<std::string> validate(const FaultConfig& config);

/// "loss 30%, dup 10%, reorder 0%, corrupt 0%, cut 0%, delay 0 ms + jitter 0..20 ms".
std::string to_string(const FaultConfig& config);

/// Flip the bits of `mask` in byte `index`.
struct Corruption {
  std::size_t index = 0;
  std::uint8_t mask = 0;  // never 0
  friend bool operator==(const Corruption&, const Corruption&) = default;
};

/// The fate of one datagram. When `drop` is set nothing else applies.
struct Decision {
  bool drop = false;
  std::optional<std::size_t> cut_to;   // new length, shorter than the datagram
  std::optional<Corruption> corrupt;   // applied after the cut; index < the length after it
  bool reorder = false;                // hold it behind the next datagram of its flow
  std::chrono::milliseconds delay{0};  // of the first copy: delay + its jitter
  /// When set, a second copy is sent, this long after the datagram was released.
  std::optional<std::chrono::milliseconds> duplicate;

  friend bool operator==(const Decision&, const Decision&) = default;
};

/// "drop", "pass", or the faults in order: "cut to 3, corrupt byte 2 (xor 0x10), reorder,
/// delay 12 ms, dup (+15 ms)".
std::string to_string(const Decision& decision);

/// Applies the decision's cut, then its corruption, to `datagram` in place. Leaves a dropped
/// datagram alone.
void apply(const Decision& decision, std::vector<std::byte>& datagram);

/// Draws decisions. Every call to decide() draws the same number of values from the RNG
/// whatever the configuration and the outcome, so the fate of the k-th datagram depends only
/// on the seed, k and the sizes: turning one fault on does not change which datagrams another
/// fault hits. Uses std::mt19937_64 and maps its output itself (no std:: distribution, whose
/// results differ between standard libraries), so a seed replays on any platform.
class FaultDecider {
 public:
  /// Fails on a bad config: a validation error (no code) whose context is validate()'s reason.
  static Result<FaultDecider> create(const FaultConfig& config, std::uint64_t seed);

  /// The fate of the next datagram, `size` bytes long.
  Decision decide(std::size_t size);

  [[nodiscard]] const FaultConfig& config() const { return config_; }

 private:
  FaultDecider(const FaultConfig& config, std::uint64_t seed) : config_(config), rng_(seed) {}
  bool chance(double percent);                 // true with probability percent / 100
  std::uint64_t below(std::uint64_t bound);    // uniform in [0, bound), bound > 0
  std::chrono::milliseconds jittered_delay();  // delay + uniform 0..jitter

  FaultConfig config_;
  std::mt19937_64 rng_;
};

/// The seed of direction `d`'s decider, derived from the run's seed (splitmix64), so that the
/// two directions draw independent streams from one printed seed.
std::uint64_t direction_seed(std::uint64_t seed, Direction d);

}  // namespace sockcalc::linksim

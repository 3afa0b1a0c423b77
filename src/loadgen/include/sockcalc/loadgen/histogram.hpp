// SPDX-License-Identifier: MIT
// loadgen/histogram.hpp -- public.
// LatencyHistogram: a fixed-memory, log-linear (HDR-like) histogram of durations in
// nanoseconds, and its percentiles. A value type; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace sockcalc::loadgen {

/// Counts values in buckets whose width grows with the value: every power of two is split
/// into kSubBuckets equal buckets, so a bucket is never wider than 1/kSubBuckets of its lower
/// bound. Values below 2 * kSubBuckets (512 ns) are kept exactly. The memory (kBucketCount
/// counters, about 117 KB) is allocated once by the constructor; record() never allocates.
class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 8;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;  // 256
  /// One row of kSubBuckets for the exact values below kSubBuckets, then one row per power of
  /// two from 2^8 to 2^63.
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;
  /// percentile() reports a bucket's midpoint: it is within half a bucket of every value the
  /// bucket holds, i.e. within 1 / (2 * kSubBuckets) = 0.2 % of the true value.
  static constexpr double kMaxRelativeError = 1.0 / (2.0 * static_cast<double>(kSubBuckets));

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram& other);
  LatencyHistogram& operator=(const LatencyHistogram& other);
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;
  ~LatencyHistogram() = default;

  /// Adds one value (nanoseconds). Never allocates.
  void record(std::uint64_t value);
  /// Adds every value of `other`.
  void merge(const LatencyHistogram& other);
  void reset();

  [[nodiscard]] std::uint64_t count() const { return count_; }
  /// The exact smallest and largest values recorded (0 when empty).
  [[nodiscard]] std::uint64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const { return max_; }
  /// The exact mean (0 when empty).
  [[nodiscard]] double mean() const;

  /// The value at quantile `q` (0..1) by nearest rank: the ceil(q * count)-th smallest value
  /// (at least the first), reported as its bucket's midpoint clamped to [min(), max()], so
  /// within kMaxRelativeError of it. percentile(1) is max() exactly. 0 when empty.
  [[nodiscard]] std::uint64_t percentile(double q) const;

  /// The bucket that holds `value`, and the bounds [lower, lower + width) of bucket `index`.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_lower(std::size_t index);
  static std::uint64_t bucket_width(std::size_t index);

 private:
  std::unique_ptr<std::uint64_t[]> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  // For the mean: 64 bits of nanoseconds hold 584 years of summed latency.
  std::uint64_t sum_ = 0;
};

}  // namespace sockcalc::loadgen

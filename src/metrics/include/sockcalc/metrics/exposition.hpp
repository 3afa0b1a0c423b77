// SPDX-License-Identifier: MIT
// metrics/exposition.hpp -- internal to the programs (library sockcalc_metrics, not installed).
// Exposition: writes metric families in Prometheus' text format 0.0.4, the body of a
// `GET /metrics`. Pure text: no I/O, no clock. An object belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sockcalc::metrics {

/// The two types the programs export. A counter only goes up (its name ends in `_total`); a
/// gauge goes up and down.
enum class MetricType { counter, gauge };

struct Label {
  std::string name;   // [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved)
  std::string value;  // any UTF-8 text: escaped on output
};
using Labels = std::vector<Label>;

/// Whether `name` is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name);
/// Whether `name` is a valid label name for a user: [a-zA-Z_][a-zA-Z0-9_]*, no leading "__".
bool valid_label_name(std::string_view name);

/// A label value as the text format writes it between quotes: `\` as `\\`, `"` as `\"`, a
/// newline as `\n`; every other byte as it is.
std::string escape_label_value(std::string_view value);
/// A HELP text as the format writes it: `\` as `\\`, a newline as `\n` (quotes stay).
std::string escape_help(std::string_view help);

/// A sample value as Prometheus parses it: a float64 in the shortest text that reads back to
/// the same number ("0.5", "1e+21"), "NaN", "+Inf" or "-Inf".
std::string format_value(double value);

/// Collects families and their samples into one text. Each family is written once, its HELP
/// and TYPE lines first, then its samples. Misuse never produces an invalid text: a family with
/// an invalid or already used name, and a sample with an invalid or repeated label name, are
/// left out and counted in rejected().
class Exposition {
 public:
  /// Starts the family `name`: the samples that follow belong to it.
  void family(std::string_view name, MetricType type, std::string_view help);

  /// One sample of the current family: `name{labels} value`. A counter's value is a whole
  /// number, written exactly (no float rounding) up to 2^64 - 1.
  void sample(const Labels& labels, std::uint64_t value);
  void sample(const Labels& labels, double value);
  void sample(std::uint64_t value) { sample(Labels{}, value); }
  void sample(double value) { sample(Labels{}, value); }

  /// How many families and samples were left out for an invalid name (a bug in the caller).
  [[nodiscard]] int rejected() const { return rejected_; }

  /// The text so far: "# HELP ...\n# TYPE ...\nname{...} value\n..." (UTF-8, '\n' line ends).
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  void write_sample(const Labels& labels, std::string_view value);

  std::string text_;
  std::string current_;  // the current family's name; empty when none or rejected
  std::set<std::string, std::less<>> seen_;
  int rejected_ = 0;
};

}  // namespace sockcalc::metrics

// SPDX-License-Identifier: MIT
// metrics/exposition.cpp -- implementation of metrics/exposition.hpp.
#include "sockcalc/metrics/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace sockcalc::metrics {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A name made of `first` then any of `first` or digits (the two grammars differ only in ':').
bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_letter(c) || (colon && c == ':') || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

std::string_view type_name(MetricType type) {
  return type == MetricType::counter ? "counter" : "gauge";
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // 32 bytes hold any double's shortest round-trip form ("-2.2250738585072014e-308": 24).
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc{}) return "NaN";
  return std::string(buffer.data(), end);
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  current_.clear();
  if (!valid_metric_name(name) || seen_.contains(name)) {
    ++rejected_;
    return;
  }
  current_ = name;
  seen_.emplace(name);
  text_ += "# HELP " + current_ + " " + escape_help(help) + "\n";
  text_ += "# TYPE " + current_ + " " + std::string(type_name(type)) + "\n";
}

void Exposition::sample(const Labels& labels, std::uint64_t value) {
  write_sample(labels, std::to_string(value));
}

void Exposition::sample(const Labels& labels, double value) {
  write_sample(labels, format_value(value));
}

void Exposition::write_sample(const Labels& labels, std::string_view value) {
  if (current_.empty()) {
    ++rejected_;
    return;
  }
  std::set<std::string_view> names;
  for (const Label& l : labels) {
    if (!valid_label_name(l.name) || !names.insert(l.name).second) {
      ++rejected_;
      return;
    }
  }
  std::string line = current_;
  if (!labels.empty()) {
    line += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      line += (i ? "," : "") + labels[i].name + "=\"" + escape_label_value(labels[i].value) + '"';
    }
    line += '}';
  }
  line += ' ';
  line += value;
  line += '\n';
  text_ += line;
}

}  // namespace sockcalc::metrics

// SPDX-License-Identifier: MIT
// tests/loadgen/json_lite.hpp -- internal to tests/loadgen.
// A small strict JSON reader (RFC 8259 values; \uXXXX kept only for ASCII), enough to check
// what `loadgen --json` prints. Header-only; pure; any thread.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sockcalc::loadgen_test::json {

struct Value;
using Object = std::map<std::string, Value>;
using Array = std::vector<Value>;

struct Value {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      v;

  [[nodiscard]] bool is_null() const { return v.index() == 0; }
  [[nodiscard]] bool is_number() const { return v.index() == 2; }
  [[nodiscard]] bool is_string() const { return v.index() == 3; }
  [[nodiscard]] bool is_object() const { return v.index() == 5; }
  [[nodiscard]] bool is_array() const { return v.index() == 4; }
  [[nodiscard]] bool as_bool() const { return std::get<1>(v); }
  [[nodiscard]] double number() const { return std::get<2>(v); }
  [[nodiscard]] const std::string& string() const { return std::get<3>(v); }
  [[nodiscard]] const Array& array() const { return *std::get<4>(v); }
  [[nodiscard]] const Object& object() const { return *std::get<5>(v); }
  /// The member `key` of an object; throws std::out_of_range when it is missing.
  [[nodiscard]] const Value& operator[](const std::string& key) const { return object().at(key); }
  [[nodiscard]] bool has(const std::string& key) const {
    return is_object() && object().count(key) != 0;
  }
};

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  /// The single value `text` holds (surrounding white space allowed), or nullopt.
  std::optional<Value> parse() {
    auto v = value();
    skip();
    if (!v || i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  std::optional<std::string> string_literal() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) return std::nullopt;
          const std::string hex(s_.substr(i_, 4));
          for (char h : hex) {
            if (!std::isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
          }
          out += static_cast<char>(std::strtol(hex.c_str(), nullptr, 16) & 0xff);
          i_ += 4;
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::optional<Value> number() {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    const std::size_t digits = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == digits) return std::nullopt;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const std::size_t frac = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == frac) return std::nullopt;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      const std::size_t exp = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == exp) return std::nullopt;
    }
    return Value{std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr)};
  }
  std::optional<Value> value() {
    if (++depth_ > kMaxDepth) return std::nullopt;
    skip();
    std::optional<Value> result;
    if (i_ >= s_.size()) {
      result = std::nullopt;
    } else if (s_[i_] == '{') {
      ++i_;
      auto obj = std::make_shared<Object>();
      bool ok = true;
      if (!eat('}')) {
        do {
          auto key = string_literal();
          if (!key || !eat(':')) {
            ok = false;
            break;
          }
          auto v = value();
          if (!v || obj->count(*key)) {
            ok = false;
            break;
          }
          obj->emplace(*key, *v);
        } while (eat(','));
        ok = ok && eat('}');
      }
      if (ok) result = Value{obj};
    } else if (s_[i_] == '[') {
      ++i_;
      auto arr = std::make_shared<Array>();
      bool ok = true;
      if (!eat(']')) {
        do {
          auto v = value();
          if (!v) {
            ok = false;
            break;
          }
          arr->push_back(*v);
        } while (eat(','));
        ok = ok && eat(']');
      }
      if (ok) result = Value{arr};
    } else if (s_[i_] == '"') {
      if (auto str = string_literal()) result = Value{*str};
    } else if (word("true")) {
      result = Value{true};
    } else if (word("false")) {
      result = Value{false};
    } else if (word("null")) {
      result = Value{nullptr};
    } else {
      result = number();
    }
    --depth_;
    return result;
  }

  static constexpr int kMaxDepth = 32;
  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

inline std::optional<Value> parse(std::string_view text) { return Parser(text).parse(); }

}  // namespace sockcalc::loadgen_test::json

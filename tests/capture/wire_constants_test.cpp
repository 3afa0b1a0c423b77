// SPDX-License-Identifier: MIT
// capture/wire_constants_test.cpp -- tests/capture: the Lua dissector's constants against C++.
// Parses src/protocol/include/sockcalc/protocol/wire.hpp and the `-- wire constants` block of
// tools/wireshark/calc.lua (paths come from compile definitions) and compares them name by name.
// Single-threaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/protocol/wire.hpp"

using ::testing::HasSubstr;

namespace {

using Constants = std::map<std::string, std::uint64_t>;

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Evaluates the right-hand sides wire.hpp uses: integer literals (decimal or hex, optional u),
// names defined before, joined by + and * (usual precedence). nullopt for anything else.
std::optional<std::uint64_t> evaluate(const std::string& expr, const Constants& known) {
  static const std::regex kToken(R"(\s*(0[xX][0-9a-fA-F]+|[0-9]+|k\w+|[+*])[uU]?\s*)");
  std::uint64_t total = 0, term = 1;
  bool want_operand = true;
  auto pos = expr.cbegin();
  std::smatch m;
  while (pos != expr.cend()) {
    if (!std::regex_search(pos, expr.cend(), m, kToken, std::regex_constants::match_continuous)) {
      return std::nullopt;
    }
    const std::string tok = m[1];
    pos = m[0].second;
    if (tok == "+" || tok == "*") {
      if (want_operand) return std::nullopt;
      if (tok == "+") {
        total += term;
        term = 1;
      }
      want_operand = true;
      continue;
    }
    if (!want_operand) return std::nullopt;
    std::uint64_t v = 0;
    if (tok[0] == 'k') {
      const auto it = known.find(tok);
      if (it == known.end()) return std::nullopt;
      v = it->second;
    } else {
      v = std::stoull(tok, nullptr, 0);
    }
    term *= v;
    want_operand = false;
  }
  if (want_operand) return std::nullopt;
  return total + term;
}

Constants parse_wire_hpp(const std::string& text, std::string& problems) {
  static const std::regex kDecl(R"(inline\s+constexpr\s+[\w:]+\s+(k\w+)\s*=\s*([^;]+);)");
  Constants out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDecl);
       it != std::sregex_iterator(); ++it) {
    const auto value = evaluate((*it)[2], out);
    if (!value) {
      problems += "cannot evaluate " + (*it)[1].str() + " = " + (*it)[2].str() + "\n";
      continue;
    }
    out[(*it)[1]] = *value;
  }
  return out;
}

// The entries `kName = <literal>,` between "-- wire constants begin" and "-- wire constants end".
Constants parse_lua_block(const std::string& text, std::string& problems) {
  static const std::regex kEntry(R"(^\s*(k\w+)\s*=\s*(0[xX][0-9a-fA-F]+|[0-9]+)\s*,\s*$)");
  static const std::regex kFrame(R"(^\s*(local\s+wire\s*=\s*\{|\}|--.*)?\s*$)");
  Constants out;
  bool inside = false, seen_end = false;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("-- wire constants begin") != std::string::npos) {
      inside = true;
      continue;
    }
    if (line.find("-- wire constants end") != std::string::npos) {
      seen_end = inside;
      break;
    }
    if (!inside) continue;
    std::smatch m;
    if (std::regex_match(line, m, kEntry)) {
      if (out.count(m[1])) problems += "duplicate " + m[1].str() + "\n";
      out[m[1]] = std::stoull(m[2], nullptr, 0);
    } else if (!std::regex_match(line, kFrame)) {
      problems += "unreadable line in the wire constants block: " + line + "\n";
    }
  }
  if (!seen_end) problems += "no '-- wire constants begin' ... '-- wire constants end' block\n";
  return out;
}

std::optional<std::uint64_t> lua_local(const std::string& text, const std::string& name) {
  const std::regex decl("\\blocal\\s+" + name + R"(\s*=\s*(0[xX][0-9a-fA-F]+|[0-9]+)\b)");
  std::smatch m;
  if (!std::regex_search(text, m, decl)) return std::nullopt;
  return std::stoull(m[1], nullptr, 0);
}

TEST(WireConstants, HeaderParserAgreesWithTheCompiler) {
  std::string problems;
  const Constants wire = parse_wire_hpp(read_file(WIRE_HPP_PATH), problems);
  EXPECT_EQ(problems, "");
  namespace w = sockcalc::wire;
  // A sample covering literals, hex masks and derived expressions: guards the parser itself.
  const Constants compiled{{"kHeaderSize", w::kHeaderSize},
                           {"kMaxOperands", w::kMaxOperands},
                           {"kMaxPayload", w::kMaxPayload},
                           {"kMinRequestSize", w::kMinRequestSize},
                           {"kMaxRequestSize", w::kMaxRequestSize},
                           {"kRequestUnusedMask", w::kRequestUnusedMask},
                           {"kOpcodeMask", w::kOpcodeMask},
                           {"kStatusMask", w::kStatusMask},
                           {"kMaxSuccessReplySize", w::kMaxSuccessReplySize},
                           {"kRecvBufferSize", w::kRecvBufferSize},
                           {"kCoursePort", w::kCoursePort}};
  for (const auto& [name, value] : compiled) {
    ASSERT_TRUE(wire.count(name)) << name << " not found in " << WIRE_HPP_PATH;
    EXPECT_EQ(wire.at(name), value) << name;
  }
}

// The style guide's rule: wire.hpp is the single source; the dissector's copy must follow it.
TEST(WireConstants, LuaBlockMatchesWireHppExactly) {
  std::string problems;
  const Constants wire = parse_wire_hpp(read_file(WIRE_HPP_PATH), problems);
  const Constants lua = parse_lua_block(read_file(CALC_LUA_PATH), problems);
  EXPECT_EQ(problems, "");
  ASSERT_FALSE(wire.empty());
  for (const auto& [name, value] : wire) {
    const auto it = lua.find(name);
    if (it == lua.end()) {
      ADD_FAILURE() << name << " = " << value << " is in wire.hpp but not in calc.lua";
    } else {
      EXPECT_EQ(it->second, value) << name << " differs: calc.lua says " << it->second;
    }
  }
  for (const auto& [name, value] : lua) {
    EXPECT_TRUE(wire.count(name)) << name << " is in calc.lua but not in wire.hpp";
  }
}

TEST(WireConstants, LuaUnixEncapsulationMatchesPcapWriter) {
  const std::string lua = read_file(CALC_LUA_PATH);
  EXPECT_EQ(lua_local(lua, "kUnixEncapVersion"), sockcalc::capture::kUnixEncapVersion);
  EXPECT_EQ(lua_local(lua, "kUnixEncapFixedSize"), sockcalc::capture::kUnixEncapFixedSize);
  EXPECT_EQ(lua_local(lua, "kUdpHeaderSize"), sockcalc::capture::kUdpHeaderSize);
}

TEST(WireConstants, ParsersRejectWhatTheyCannotRead) {
  std::string problems;
  const Constants wire = parse_wire_hpp(
      "inline constexpr int kA = 2;\ninline constexpr int kB = (kA + 1);\n"
      "inline constexpr int kC = kA * 3 + 1u;\n",
      problems);
  EXPECT_THAT(problems, HasSubstr("kB"));
  EXPECT_EQ(wire.at("kC"), 7u);
  problems.clear();
  parse_lua_block(
      "-- wire constants begin\nlocal wire = {\n  kA = 2 * 3,\n}\n-- wire constants end\n",
      problems);
  EXPECT_THAT(problems, HasSubstr("kA = 2 * 3"));
  problems.clear();
  parse_lua_block("local wire = { kA = 1, }\n", problems);
  EXPECT_THAT(problems, HasSubstr("block"));
}

}  // namespace

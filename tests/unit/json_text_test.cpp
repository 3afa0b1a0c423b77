// SPDX-License-Identifier: MIT
// tests/unit/json_text_test.cpp -- unit tests of core/json_text (internal to tests/).
// UTF-8 strings round-trip through json_text() and nlohmann's parser; bytes that are not
// UTF-8 give U+FFFD and still valid JSON; the text is one ASCII line. Single-threaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "sockcalc/core/json_text.hpp"

namespace sockcalc {
namespace {

using namespace std::string_literals;

// U+FFFD REPLACEMENT CHARACTER in UTF-8.
const std::string kReplacement = "\xEF\xBF\xBD";

// json_text() of {"s": text}, parsed back; a discarded value when it is not valid JSON.
nlohmann::json round_trip(const std::string& text) {
  const std::string line = json_text(nlohmann::ordered_json{{"s", text}});
  return nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
}

bool is_one_ascii_line(const std::string& line) {
  return line.ends_with('\n') && std::ranges::count(line, '\n') == 1 &&
         std::ranges::all_of(line, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

TEST(JsonText, Utf8StringsRoundTripExactly) {
  for (const std::string& text :
       {"unix:/tmp/résultats.sock"s, "Ωμέγα"s, "emoji \xF0\x9F\x98\x80 (4 bytes)"s,
        "quote \" backslash \\ newline \n tab \t nul "s + '\0' + " end"s, ""s}) {
    const nlohmann::json back = round_trip(text);
    ASSERT_FALSE(back.is_discarded()) << text;
    EXPECT_EQ(back.at("s").get<std::string>(), text);
  }
}

TEST(JsonText, NonAsciiIsEscapedByCodePoint) {
  EXPECT_EQ(json_text(nlohmann::json("r\xC3\xA9sultats")), "\"r\\u00e9sultats\"\n");
  EXPECT_EQ(json_text(nlohmann::json("\xF0\x9F\x98\x80")), "\"\\ud83d\\ude00\"\n");
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacterNotAnException) {
  struct Case {
    std::string raw;
    std::string parsed;
  };
  const Case table[] = {
      {"\xFF", kReplacement},                                        // never valid in UTF-8
      {"a\xC3", "a" + kReplacement},                                 // cut sequence at the end
      {"\xC3(b", kReplacement + "(b"},                               // bad continuation byte
      {"\xE9t\xE9", kReplacement + "t" + kReplacement},              // Latin-1 "été"
      {"\xED\xA0\x80", kReplacement + kReplacement + kReplacement},  // a UTF-16 surrogate
  };
  for (const Case& c : table) {
    std::string line;
    ASSERT_NO_THROW(line = json_text(nlohmann::json{{"s", c.raw}}));
    EXPECT_TRUE(is_one_ascii_line(line)) << line;
    const nlohmann::json back = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(back.is_discarded()) << line;
    EXPECT_EQ(back.at("s").get<std::string>(), c.parsed) << line;
  }
}

TEST(JsonText, OneAsciiLineWhateverTheDocument) {
  nlohmann::ordered_json doc;
  doc["lines"] = "one\ntwo\r\n";
  doc["nested"] = {{"array", {1, 2.5, nullptr, true}}, {"bytes", "\x1b[31m\xFE"}};
  const std::string line = json_text(doc);
  EXPECT_TRUE(is_one_ascii_line(line)) << line;
  EXPECT_TRUE(line.starts_with(R"({"lines":"one\ntwo\r\n","nested":{"array":[1,2.5,null,true],)"))
      << line;
}

}  // namespace
}  // namespace sockcalc

// SPDX-License-Identifier: MIT
// core/json_text.hpp -- public, header-only.
// The one rule by which the tools write JSON (loadgen --json, conformance --json): an
// nlohmann-json document as one line of ASCII text that any byte string inside it cannot
// break. Pure; any thread.
#pragma once

#include <string>

namespace sockcalc {

/// `doc` (an nlohmann::json or nlohmann::ordered_json) as one line of JSON text ending with a
/// newline. Strings are read as UTF-8 and written ASCII only: a character outside ASCII as its
/// `\uXXXX` escape (a surrogate pair above U+FFFF), so that UTF-8 text (a path, a label)
/// round-trips exactly. A byte that is not part of valid UTF-8 (a path, a peer's or a
/// program's bytes may hold any) is written as U+FFFD (`\ufffd`), where nlohmann's dump()
/// would throw by default: the document is always valid JSON and this never throws for it.
/// A template so that this header, installed with the others, needs no nlohmann-json header:
/// the caller includes <nlohmann/json.hpp>.
template <class Json>
std::string json_text(const Json& doc) {
  constexpr int kOneLine = -1;  // dump()'s indent: no line break at all
  constexpr bool kAsciiOnly = true;
  return doc.dump(kOneLine, ' ', kAsciiOnly, Json::error_handler_t::replace) + "\n";
}

}  // namespace sockcalc

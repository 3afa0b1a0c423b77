// SPDX-License-Identifier: MIT
// msc/chart.cpp -- implementation of msc/chart.hpp.
// render() makes two passes: one over every arc to place the entities (clients on the left),
// one in time order to write the rows, with what it has learnt so far about each exchange
// (tries, replies, the format each request asked for).
#include "sockcalc/msc/chart.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "sockcalc/msc/label.hpp"
#include "sockcalc/protocol/describe.hpp"

namespace sockcalc::msc {
namespace {

// Gaps shorter than this are drawn as none: a request and its reply on loopback are
// microseconds apart, and the reader looks for the waits (timeouts, delays), not for those.
constexpr std::chrono::microseconds kSmallestGap{1000};
// One more spacer row per decade of a gap from kSmallestGap up (1 ms, 10 ms, 100 ms, 1 s),
// so a longer wait takes more room, without a 60 s wait taking a page.
constexpr int kMaxGapRows = 4;

std::string pair_key(const std::string& a, const std::string& b) { return a + '\x1f' + b; }

// The entities, left to right: every entity that only ever sends requests (a client) first,
// in order of appearance, then the others (servers, links), in order of appearance.
struct Entities {
  std::vector<std::string> order;
  std::set<std::string> sends_request;
  std::set<std::string> receives_request;

  [[nodiscard]] bool is_client(const std::string& e) const {
    return sends_request.contains(e) && !receives_request.contains(e);
  }
  [[nodiscard]] bool is_server(const std::string& e) const {
    return receives_request.contains(e) && !sends_request.contains(e);
  }
  [[nodiscard]] std::string id(const std::string& e) const {
    const auto at = std::find(order.begin(), order.end(), e);
    return "e" + std::to_string(at - order.begin());
  }
};

std::string utc_text(Clock::time_point when) {
  const std::time_t secs = Clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string gap_rows(std::chrono::microseconds gap) {
  if (gap < kSmallestGap) return "";
  int rows = 1;
  for (auto step = kSmallestGap * 10; gap >= step && rows < kMaxGapRows; step *= 10) ++rows;
  std::string out = "  ||| [label=\"" + escape_label(gap_text(gap)) + "\"];\n";
  for (int i = 1; i < rows; ++i) out += "  |||;\n";
  return out;
}

// mscgen sets entities 200 pixels apart times hscale and does not widen the chart for long
// labels: room for the longest label between two neighbours, at about 7 pixels a character
// of its 12-point Helvetica, between 1 and kMaxHscale.
constexpr double kEntitySpacing = 200;
constexpr double kCharWidth = 7;
constexpr double kMaxHscale = 4;

std::string hscale_for(std::size_t longest_label) {
  const double scale =
      std::clamp(static_cast<double>(longest_label) * kCharWidth / kEntitySpacing, 1.0, kMaxHscale);
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", scale);
  return text;
}

}  // namespace

// What render() knows about the exchanges so far, row by row.
struct Chart::Annotated {
  const Entities& entities;
  std::map<std::string, int> tries;                   // sender|receiver|bytes -> times sent
  std::map<std::string, Clock::time_point> last_try;  // client|server -> last request's time
  std::map<std::string, int> replies;                 // client|server -> replies since it
  std::map<std::string, protocol::Format> format;     // client|server -> what it asked for
  std::string out;
  std::size_t longest = 0;  // the longest label, in characters

  void arc(const Datagram& d) {
    const std::size_t wire = std::max(d.wire_length, d.bytes.size());
    const protocol::Bytes bytes(d.bytes.data(), d.bytes.size());
    std::string label;
    std::vector<std::string> notes;
    if (d.role == Role::request) {
      label = protocol::describe_request(bytes, wire);
      request(d, notes);
    } else {
      label = protocol::describe_reply(bytes, reply_format(d));
      reply(d, notes);
    }
    if (!d.note.empty()) notes.push_back(d.note);
    for (std::size_t i = 0; i < notes.size(); ++i) {
      label += (i == 0 ? " (" : "; ") + notes[i] + (i + 1 == notes.size() ? ")" : "");
    }
    longest = std::max(longest, label.size());
    const char* arrow = d.fate == Fate::lost ? " -x " : " -> ";
    out += "  " + entities.id(d.from) + arrow + entities.id(d.to) + " [label=\"" +
           escape_label(label) + "\"];\n";
  }

  void request(const Datagram& d, std::vector<std::string>& notes) {
    const std::string pair = pair_key(d.from, d.to);
    const std::string sent(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
    const int n = ++tries[pair_key(pair, sent)];
    const auto last = last_try.find(pair);
    if (entities.is_client(d.from) && n >= 2) {
      if (last != last_try.end() && replies[pair] == 0) {
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(d.when - last->second);
        box(d.from, "timeout: no reply in " + std::to_string(waited.count()) + " ms");
      }
      notes.push_back("try " + std::to_string(n));
    }
    last_try[pair] = d.when;
    replies[pair] = 0;
    if (!d.bytes.empty()) {
      const bool string = (std::to_integer<std::uint8_t>(d.bytes[0]) & wire::kFormatMask) != 0;
      format[pair] = string ? protocol::Format::string : protocol::Format::integer;
    }
  }

  // The format the reply's request asked for; with no request seen, a guess as the Wireshark
  // dissector makes it: 4 bytes of payload that are not all digits read as an integer.
  protocol::Format reply_format(const Datagram& d) const {
    if (const auto f = format.find(pair_key(d.to, d.from)); f != format.end()) return f->second;
    const bool digits = std::all_of(d.bytes.begin() + std::min<std::size_t>(1, d.bytes.size()),
                                    d.bytes.end(), [](std::byte b) {
                                      const auto c = std::to_integer<unsigned char>(b);
                                      return c >= '0' && c <= '9';
                                    });
    return d.bytes.size() == 5 && !digits ? protocol::Format::integer : protocol::Format::string;
  }

  void reply(const Datagram& d, std::vector<std::string>& notes) {
    const std::string pair = pair_key(d.to, d.from);
    if (!last_try.contains(pair)) return;
    if (d.fate == Fate::delivered && replies[pair]++ >= 1)
      notes.push_back("late: answered already");
  }

  void box(const std::string& entity, const std::string& text) {
    const std::string id = entities.id(entity);
    longest = std::max(longest, text.size());
    out += "  " + id + " box " + id + " [label=\"" + escape_label(text) + "\"];\n";
  }
};

void Chart::name(const std::string& entity, std::string title) {
  titles_[entity] = std::move(title);
}

std::size_t Chart::add(Datagram datagram) {
  if (arcs_ >= max_arcs_) {
    ++not_drawn_;
    return kNone;
  }
  ++arcs_;
  const Clock::time_point when = datagram.when;
  rows_.push_back(Row{when, false, std::move(datagram)});
  return rows_.size() - 1;
}

void Chart::annotate(std::size_t index, const std::string& text) {
  if (index >= rows_.size() || rows_[index].is_mark) return;
  std::string& note = rows_[index].datagram.note;
  note += (note.empty() ? "" : "; ") + text;
}

void Chart::mark(Clock::time_point when, const std::string& entity, std::string text) {
  if (arcs_ >= max_arcs_ && not_drawn_ > 0) return;  // the chart stopped drawing before this
  Datagram d;
  d.from = entity;
  d.note = std::move(text);
  rows_.push_back(Row{when, true, std::move(d)});
}

std::string Chart::render() const {
  Entities entities;
  for (const Row& row : rows_) {
    for (const std::string* e : {&row.datagram.from, &row.datagram.to}) {
      if (e->empty()) continue;
      if (std::find(entities.order.begin(), entities.order.end(), *e) == entities.order.end()) {
        entities.order.push_back(*e);
      }
    }
    if (!row.is_mark && row.datagram.role == Role::request) {
      entities.sends_request.insert(row.datagram.from);
      entities.receives_request.insert(row.datagram.to);
    }
  }
  std::stable_partition(entities.order.begin(), entities.order.end(),
                        [&entities](const std::string& e) { return entities.is_client(e); });

  Annotated rows{entities, {}, {}, {}, {}, {}, 0};
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const Row& row = rows_[i];
    if (i > 0 && row.when > rows_[i - 1].when) {
      rows.out += gap_rows(
          std::chrono::duration_cast<std::chrono::microseconds>(row.when - rows_[i - 1].when));
    }
    if (row.is_mark) {
      rows.box(row.datagram.from, row.datagram.note);
    } else {
      rows.arc(row.datagram);
    }
  }

  std::string out;
  if (!rows_.empty()) out += "# sockcalc: calc datagrams from " + utc_text(rows_[0].when) + "\n";
  out += "msc {\n  hscale = \"" + hscale_for(rows.longest) + "\";\n";
  for (std::size_t i = 0; i < entities.order.size(); ++i) {
    const std::string& e = entities.order[i];
    std::string title;
    if (const auto t = titles_.find(e); t != titles_.end()) {
      title = t->second;
    } else if (entities.is_client(e)) {
      title = "client";
    } else if (entities.is_server(e)) {
      title = "server";
    }
    out += std::string(i == 0 ? "  " : ",\n  ") + entities.id(e) + " [label=\"" +
           (title.empty() ? "" : escape_label(title) + "\\n") + escape_label(e) + "\"]";
  }
  // mscgen refuses a chart without an entity or a row: a chart of nothing says so on its own.
  out += entities.order.empty() ? "  e0 [label=\"no calc datagram\"];\n  |||;\n" : ";\n";

  out += rows.out;
  if (not_drawn_ > 0) {
    out += "  --- [label=\"" + std::to_string(not_drawn_) + " more datagram" +
           (not_drawn_ == 1 ? "" : "s") + " not drawn (at most " + std::to_string(max_arcs_) +
           " arcs)\"];\n";
  }
  out += "}\n";
  return out;
}

}  // namespace sockcalc::msc

// SPDX-License-Identifier: MIT
// msc/chart.hpp -- public.
// Chart: a time-sequence diagram of calc datagrams, written as mscgen input (docs/DIAGRAMS.md).
// One entity per endpoint, one arc per datagram, labelled as -v describes it; lost datagrams
// as lost arcs (-x); retries, late replies and timeouts annotated; gaps in time as spaced rows.
// A value type, not thread-safe: one thread at a time (callers that record from several
// threads hold a lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::msc {

using Clock = std::chrono::system_clock;

/// Which side of the exchange sent a datagram. The calc messages do not say: the caller knows
/// (a program knows what it sent), or RoleRule decides (a capture).
enum class Role { request, reply };

/// What became of a datagram: delivered, or lost on the way (linksim dropped it, the kernel
/// refused to send it). A lost datagram is drawn as a lost arc, `a -x b`.
enum class Fate { delivered, lost };

/// One datagram to draw. `from` and `to` name entities (an address as the programs print it,
/// or a name such as "linksim"); an entity exists once a datagram names it.
struct Datagram {
  Clock::time_point when;
  std::string from;
  std::string to;
  std::vector<std::byte> bytes;  // as held
  std::size_t wire_length = 0;   // its real length; less than bytes.size() is read as bytes.size()
  Role role = Role::request;
  Fate fate = Fate::delivered;
  std::string note;  // added to the label in parentheses ("dropped by the link")
};

/// The most arcs a chart draws; more are counted and said in a last comment row, so that a
/// long-running server's --msc cannot fill memory or draw an unreadable chart.
inline constexpr std::size_t kDefaultMaxArcs = 2000;

class Chart {
 public:
  explicit Chart(std::size_t max_arcs = kDefaultMaxArcs) : max_arcs_(max_arcs) {}

  /// Gives `entity` a label line above its address ("client", "linksim"); an entity without
  /// one is labelled by the role it plays in the chart (client, server) when it has one.
  void name(const std::string& entity, std::string title);

  /// Adds an arc; returns its index (for annotate()), or kNone when the chart is full. Rows are
  /// drawn in the order they were added; `when` gives the gaps between them (a time earlier
  /// than the previous row's counts as no gap).
  std::size_t add(Datagram datagram);
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  /// Appends `text` to arc `index`'s parentheses (kNone: ignored).
  void annotate(std::size_t index, const std::string& text);

  /// A box on `entity`'s line at `when`, below the rows so far: "timeout", "Result: 25".
  void mark(Clock::time_point when, const std::string& entity, std::string text);

  /// The mscgen text: `msc { ... }`, ending in a newline. Rows are: arcs, boxes, and gaps of
  /// at least 1 ms as `|||` rows (one more per decade: 1 ms, 10 ms, 100 ms, 1 s) labelled
  /// "+250 ms".
  [[nodiscard]] std::string render() const;

  [[nodiscard]] std::size_t arcs() const { return arcs_; }
  [[nodiscard]] std::size_t not_drawn() const { return not_drawn_; }

 private:
  struct Row {
    Clock::time_point when;
    bool is_mark = false;
    Datagram datagram;  // is_mark: from = the entity, note = the text
  };
  struct Annotated;  // render()'s per-row labels and ordering (chart.cpp)

  std::size_t max_arcs_;
  std::vector<Row> rows_;
  std::map<std::string, std::string> titles_;
  std::size_t arcs_ = 0;
  std::size_t not_drawn_ = 0;
};

}  // namespace sockcalc::msc

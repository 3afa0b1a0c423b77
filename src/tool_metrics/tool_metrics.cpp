// SPDX-License-Identifier: MIT
// tool_metrics/tool_metrics.cpp -- implementation of tool_metrics/tool_metrics.hpp.
#include "sockcalc/tool_metrics/tool_metrics.hpp"

#include <cstdint>

#include "sockcalc/metrics/exposition.hpp"
#include "sockcalc/version.hpp"

namespace sockcalc::metrics {
namespace {

void build_info(Exposition& out, const char* program) {
  out.family("sockcalc_build_info", MetricType::gauge,
             "Always 1: the version of the program, as a label.");
  out.sample({{"version", kVersion}, {"program", program}}, std::uint64_t{1});
}

// One counter of loadgen's Tally, exported per phase.
struct TallyCounter {
  const char* name;
  const char* help;
  std::uint64_t loadgen::Tally::*field;
  const char* result;  // the "result" label of a reply counter, or null
};

constexpr TallyCounter kTallyCounters[] = {
    {"sockcalc_loadgen_requests_total", "Distinct requests sent (not retransmissions).",
     &loadgen::Tally::sent, nullptr},
    {"sockcalc_loadgen_replies_total", "Replies, by how they were judged.", &loadgen::Tally::ok,
     "ok"},
    {"sockcalc_loadgen_replies_total", nullptr, &loadgen::Tally::wrong, "wrong"},
    {"sockcalc_loadgen_replies_total", nullptr, &loadgen::Tally::error_replies, "error_reply"},
    {"sockcalc_loadgen_replies_total", nullptr, &loadgen::Tally::malformed, "malformed"},
    {"sockcalc_loadgen_timeouts_total", "Requests that waited past --timeout (each time).",
     &loadgen::Tally::timeouts, nullptr},
    {"sockcalc_loadgen_retransmits_total", "Requests sent again after a timeout.",
     &loadgen::Tally::retransmits, nullptr},
    {"sockcalc_loadgen_send_errors_total", "Sends the kernel refused.",
     &loadgen::Tally::send_errors, nullptr},
};

// One counter of linksim's DirectionStats, exported per direction.
struct DirectionCounter {
  const char* name;
  const char* help;
  std::uint64_t linksim::DirectionStats::*field;
};

constexpr DirectionCounter kDirectionCounters[] = {
    {"sockcalc_linksim_datagrams_received_total", "Datagrams read, by direction.",
     &linksim::DirectionStats::received},
    {"sockcalc_linksim_datagrams_passed_total", "Datagrams not dropped by --loss.",
     &linksim::DirectionStats::passed},
    {"sockcalc_linksim_datagrams_dropped_total", "Datagrams dropped by --loss.",
     &linksim::DirectionStats::dropped},
    {"sockcalc_linksim_datagrams_duplicated_total", "Datagrams sent twice (--dup).",
     &linksim::DirectionStats::duplicated},
    {"sockcalc_linksim_datagrams_reordered_total", "Datagrams held back (--reorder).",
     &linksim::DirectionStats::reordered},
    {"sockcalc_linksim_datagrams_delayed_total", "Datagrams sent late (--delay, --jitter).",
     &linksim::DirectionStats::delayed},
    {"sockcalc_linksim_datagrams_corrupted_total", "Datagrams with a byte flipped (--corrupt).",
     &linksim::DirectionStats::corrupted},
    {"sockcalc_linksim_datagrams_cut_total", "Datagrams truncated (--cut).",
     &linksim::DirectionStats::cut},
    {"sockcalc_linksim_copies_overflowed_total",
     "Copies dropped: --max-held or --max-held-bytes reached.", &linksim::DirectionStats::overflow},
    {"sockcalc_linksim_copies_orphaned_total", "Copies dropped: their flow ended first.",
     &linksim::DirectionStats::orphaned},
    {"sockcalc_linksim_send_failures_total", "Copies the kernel refused.",
     &linksim::DirectionStats::send_failed},
};

}  // namespace

std::string loadgen_metrics(const loadgen::Progress& progress) {
  Exposition out;
  build_info(out, "loadgen");
  const char* last = nullptr;
  for (const TallyCounter& c : kTallyCounters) {
    if (last == nullptr || std::string_view(last) != c.name) {
      out.family(c.name, MetricType::counter, c.help);
      last = c.name;
    }
    for (const auto& [phase, tally] :
         {std::pair{"warmup", &progress.warmup}, std::pair{"measured", &progress.measured}}) {
      Labels labels{{"phase", phase}};
      if (c.result != nullptr) labels.push_back({"result", c.result});
      out.sample(labels, tally->*c.field);
    }
  }
  out.family("sockcalc_loadgen_in_flight_requests", MetricType::gauge,
             "Requests sent and not answered yet.");
  out.sample(progress.in_flight);
  out.family("sockcalc_loadgen_warming_up", MetricType::gauge, "1 during the warm-up, else 0.");
  out.sample(std::uint64_t{progress.warming_up ? 1u : 0u});
  out.family("sockcalc_loadgen_elapsed_seconds", MetricType::gauge,
             "Time since the run began, warm-up included.");
  out.sample(progress.elapsed_s);
  return out.text();
}

std::string linksim_metrics(const linksim::RelayStats& stats) {
  Exposition out;
  build_info(out, "linksim");
  for (const DirectionCounter& c : kDirectionCounters) {
    out.family(c.name, MetricType::counter, c.help);
    for (linksim::Direction d : {linksim::Direction::forward, linksim::Direction::reverse}) {
      const char* label = d == linksim::Direction::forward ? "forward" : "reverse";
      out.sample({{"direction", label}}, stats[d].*c.field);
    }
  }
  out.family("sockcalc_linksim_flows_total", MetricType::counter,
             "Flows (clients) by how they began or ended.");
  out.sample({{"event", "created"}}, stats.flows.created);
  out.sample({{"event", "expired"}}, stats.flows.expired);
  out.sample({{"event", "evicted"}}, stats.flows.evicted);
  out.sample({{"event", "failed"}}, stats.flows.failed);
  out.family("sockcalc_linksim_active_flows", MetricType::gauge, "Flows open now.");
  out.sample(stats.flows.active);
  out.family("sockcalc_linksim_held_copies", MetricType::gauge,
             "Copies waiting for their time or their reorder release.");
  out.sample(stats.held_now);
  return out.text();
}

}  // namespace sockcalc::metrics

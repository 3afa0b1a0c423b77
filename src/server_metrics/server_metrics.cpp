// SPDX-License-Identifier: MIT
// server_metrics/server_metrics.cpp -- implementation of server_metrics/server_metrics.hpp.
#include "sockcalc/server_metrics/server_metrics.hpp"

#include <cstdint>
#include <vector>

#include "sockcalc/metrics/exposition.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/version.hpp"

namespace sockcalc::metrics {
namespace {

using server::Counter;
using server::Stats;

// One counter of Stats, exported per worker as `name{worker="N"}`.
struct WorkerCounter {
  const char* name;
  const char* help;
  Counter Stats::*field;
};

constexpr WorkerCounter kWorkerCounters[] = {
    {"sockcalc_server_datagrams_received_total", "Datagrams read from the socket.",
     &Stats::received},
    {"sockcalc_server_replies_total", "Replies the kernel accepted.", &Stats::answered},
    {"sockcalc_server_results_total", "Requests computed: success replies made.", &Stats::results},
    {"sockcalc_server_truncated_datagrams_total",
     "Datagrams longer than the receive buffer (MSG_TRUNC), answered as such.", &Stats::truncated},
    {"sockcalc_server_unanswerable_datagrams_total",
     "Datagrams from an unnamed Unix socket: no address to reply to.", &Stats::unanswerable},
    {"sockcalc_server_rate_limited_datagrams_total",
     "Datagrams over their source's --rate-limit: dropped without a reply.", &Stats::rate_limited},
    {"sockcalc_server_send_failures_total",
     "Replies the kernel refused (ENOBUFS, EAGAIN, ...): lost.", &Stats::send_failed},
    {"sockcalc_server_receive_failures_total", "Receive errors other than nothing to read.",
     &Stats::recv_failed},
};

void write_workers(Exposition& out, const std::vector<Stats>& workers) {
  out.family("sockcalc_server_workers", MetricType::gauge, "Serving threads.");
  out.sample(static_cast<std::uint64_t>(workers.size()));
  for (const WorkerCounter& c : kWorkerCounters) {
    out.family(c.name, MetricType::counter, c.help);
    for (std::size_t w = 0; w < workers.size(); ++w) {
      out.sample({{"worker", std::to_string(w)}}, (workers[w].*c.field).value());
    }
  }
  out.family("sockcalc_server_error_replies_total", MetricType::counter,
             "Error replies made, by the rule the request broke (docs/PROTOCOL.md, P-6).");
  for (std::size_t w = 0; w < workers.size(); ++w) {
    for (protocol::RequestError e : protocol::kRequestErrors) {
      out.sample({{"worker", std::to_string(w)}, {"error", std::string(protocol::name(e))}},
                 workers[w].by_error[protocol::index(e)].value());
    }
  }
}

void write_sockets(Exposition& out, const std::vector<Result<ReceiveMemory>>& sockets) {
  struct Field {
    const char* name;
    MetricType type;
    const char* help;
    std::uint64_t ReceiveMemory::*value;
  };
  static constexpr Field kFields[] = {
      {"sockcalc_server_receive_drops_total", MetricType::counter,
       "Datagrams the kernel dropped before the server could read them (full receive buffer), "
       "by socket (SO_MEMINFO drops; 32 bits in the kernel).",
       &ReceiveMemory::drops},
      {"sockcalc_server_receive_buffer_bytes", MetricType::gauge,
       "Receive buffer the kernel granted, by socket.", &ReceiveMemory::buffer},
      {"sockcalc_server_receive_queue_bytes", MetricType::gauge,
       "Bytes received and not read yet, by socket.", &ReceiveMemory::queued},
  };
  for (const Field& f : kFields) {
    out.family(f.name, f.type, f.help);
    for (std::size_t s = 0; s < sockets.size(); ++s) {
      // A socket the kernel will not describe is left out of this scrape, not reported as 0.
      if (sockets[s]) out.sample({{"socket", std::to_string(s)}}, (*sockets[s]).*f.value);
    }
  }
}

}  // namespace

std::string server_metrics(const server::Server& server, const ServerInfo& info) {
  Exposition out;
  out.family("sockcalc_build_info", MetricType::gauge,
             "Always 1: the version of the program, as a label.");
  out.sample({{"version", kVersion}, {"program", "server"}}, std::uint64_t{1});
  out.family("sockcalc_server_start_time_seconds", MetricType::gauge,
             "When the server started, in seconds since the Unix epoch.");
  out.sample(info.start_time_seconds);
  write_workers(out, server.worker_stats());
  write_sockets(out, server.receive_memory());
  return out.text();
}

}  // namespace sockcalc::metrics

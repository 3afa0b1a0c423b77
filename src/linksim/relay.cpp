// SPDX-License-Identifier: MIT
// linksim/relay.cpp -- implementation of linksim/relay.hpp.
// The event loop (sockets, flows, timers) around the pure FaultDecider.
// Everything but request_stop() runs on run()'s thread.
#include "sockcalc/linksim/relay.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "sockcalc/core/deadline.hpp"
#include "sockcalc/event/event_loop.hpp"
#include "sockcalc/linksim/flow_table.hpp"
#include "sockcalc/linksim/timer_heap.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::linksim {
namespace {

// Datagrams read from one socket per wake-up, so that one busy socket cannot starve the others,
// the timers or a stop request.
constexpr int kMaxPerWake = 256;

// The largest UDP payload is 65535 - 8 (UDP header) bytes: every datagram fits whole.
constexpr std::size_t kBufferSize = 65536;

// A copy of a datagram waiting for its time.
struct Pending {
  Direction direction;
  std::uint64_t flow;  // forward copies leave through this flow's upstream socket
  Address peer;        // reverse copies go to this client through the listening socket
  std::vector<std::byte> bytes;
};

// The deadline of a reorder hold; stale when the slot now holds another generation.
struct HoldTimer {
  std::uint64_t flow;
  Direction direction;
  std::uint64_t generation;
};

int timeout_ms(std::optional<Clock::time_point> due, Clock::time_point now) {
  return due ? remaining_ms(*due, now) : -1;
}

std::optional<Clock::time_point> earliest(std::optional<Clock::time_point> a,
                                          std::optional<Clock::time_point> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

struct Relay::State {
  State(RelayOptions o, std::vector<FaultDecider> d, DatagramSocket l, Address a,
        event::EventLoop lp)
      : options(std::move(o)),
        deciders(std::move(d)),
        listen(std::move(l)),
        local(std::move(a)),
        loop(std::move(lp)),
        flows(options.max_flows),
        buffer(kBufferSize) {}

  Status run();
  void read_clients(Clock::time_point now);
  void read_server(std::uint64_t flow_id, Clock::time_point now);
  void relay(Direction dir, Flow& flow, protocol::Bytes bytes, std::size_t wire_length,
             Clock::time_point now);
  Clock::time_point emit(Direction dir, const Flow& flow, HeldDatagram item, Clock::time_point now,
                         Clock::time_point not_before);
  void hold(Direction dir, Flow& flow, HeldDatagram item, Clock::time_point now);
  void send(Direction dir, std::uint64_t flow_id, const Address& peer, protocol::Bytes bytes);
  void fire_timers(Clock::time_point now);
  [[nodiscard]] std::optional<Clock::time_point> next_deadline() const;

  Flow* open_flow(const Address& peer, Clock::time_point now);
  void evict_one();
  void close_flow(Flow flow, std::string_view why);

  bool make_room(Direction dir, std::size_t size);  // false: counted as overflow
  void account_out(std::size_t size);
  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  void report_wire(const Address& from, const Address& to, protocol::Bytes bytes,
                   std::size_t wire_length, bool received) const {
    if (options.wire) options.wire(WireRecord{from, to, bytes, wire_length, received});
  }

  RelayOptions options;
  std::vector<FaultDecider> deciders;  // indexed by as_index(Direction)
  DatagramSocket listen;
  Address local;
  event::EventLoop loop;  // its waker ends a wait for stop and snapshot requests
  std::atomic<bool> stop{false};
  FlowTable flows;
  TimerHeap<Pending> delayed;
  TimerHeap<HoldTimer> holds;
  RelayStats stats;
  // snapshot(): another thread asks (wanted, and the waker); the loop copies stats into
  // `published` at its next turn and bumps `published_turn`, under `snapshot_mutex`.
  std::atomic<bool> snapshot_wanted{false};
  std::mutex snapshot_mutex;
  std::condition_variable snapshot_taken;
  RelayStats published;
  std::uint64_t published_turn = 0;
  void publish_if_wanted();
  std::size_t held_bytes = 0;
  std::uint64_t next_generation = 1;
  std::vector<std::byte> buffer;
};

Result<Relay> Relay::create(RelayOptions options) {
  std::vector<FaultDecider> deciders;
  for (Direction d : {Direction::forward, Direction::reverse}) {
    auto decider =
        FaultDecider::create(options.faults[as_index(d)], direction_seed(options.seed, d));
    if (!decider) {
      return Error{decider.error().code,
                   std::string(to_string(d)) + ": " + decider.error().context};
    }
    deciders.push_back(std::move(*decider));
  }
  if (options.max_flows == 0) {
    return validation_error("max flows must be >= 1");
  }
  auto listen = DatagramSocket::bind_first(options.listen);
  if (!listen) return listen.error();
  auto local = listen->local_address();
  if (!local) return local.error();
  // On a wildcard address, replies must leave from the address each client asked.
  if (is_wildcard(*local)) {
    if (auto st = listen->receive_destinations(); !st) return st.error();
  }
  auto loop = event::EventLoop::create(options.poller);
  if (!loop) return loop.error();
  auto state = std::make_unique<State>(std::move(options), std::move(deciders), std::move(*listen),
                                       std::move(*local), std::move(*loop));
  // The State stays where it is (on the heap) for as long as the loop calls its handlers.
  State* s = state.get();
  if (auto st = s->loop.watch(s->listen.fd(), event::Interest::read,
                              [s](event::Ready) { s->read_clients(s->options.clock()); });
      !st) {
    return st.error();
  }
  return Relay(std::move(state));
}

Relay::Relay(std::unique_ptr<State> state) : s_(std::move(state)) {}
Relay::Relay(Relay&&) noexcept = default;
Relay::~Relay() = default;

Status Relay::run() { return s_->run(); }

void Relay::request_stop() {
  s_->stop.store(true, std::memory_order_relaxed);
  s_->loop.waker().notify();
}

const Address& Relay::local_address() const { return s_->local; }
const Address& Relay::server_address() const { return s_->options.server; }
const RelayOptions& Relay::options() const { return s_->options; }
const RelayStats& Relay::stats() const { return s_->stats; }

Status Relay::State::run() {
  while (!stop.load(std::memory_order_relaxed)) {
    // What fell due while the loop waited goes first: a datagram arriving after its flow's
    // idle deadline opens a new flow, whichever of the two the wait reported first.
    const Status st = loop.run_once(timeout_ms(next_deadline(), options.clock()),
                                    [this] { fire_timers(options.clock()); });
    if (!st) return st;
    fire_timers(options.clock());
    publish_if_wanted();
  }
  return Ok{};
}

void Relay::State::publish_if_wanted() {
  if (!snapshot_wanted.exchange(false, std::memory_order_relaxed)) return;
  {
    const std::lock_guard lock(snapshot_mutex);
    published = stats;
    ++published_turn;
  }
  snapshot_taken.notify_all();
}

RelayStats Relay::snapshot(std::chrono::milliseconds patience) const {
  State& st = *s_;
  std::unique_lock lock(st.snapshot_mutex);
  const std::uint64_t asked_at = st.published_turn;
  st.snapshot_wanted.store(true, std::memory_order_relaxed);
  st.loop.waker().notify();
  st.snapshot_taken.wait_for(lock, patience, [&] { return st.published_turn != asked_at; });
  return st.published;
}

std::optional<Clock::time_point> Relay::State::next_deadline() const {
  std::optional<Clock::time_point> due = flows.next_expiry(options.idle_timeout);
  if (!delayed.empty()) due = earliest(due, delayed.next_due());
  if (!holds.empty()) due = earliest(due, holds.next_due());
  return due;
}

void Relay::State::read_clients(Clock::time_point now) {
  for (int i = 0; i < kMaxPerWake; ++i) {
    Address peer;
    ReplySource asked;
    const RecvResult rx = listen.recv_with_destination(buffer, &peer, asked);
    if (rx.outcome == RecvOutcome::would_block) return;
    if (rx.outcome == RecvOutcome::failed) {
      log("cannot receive on " + local.to_string() + ": " + std::strerror(rx.error));
      return;
    }
    const protocol::Bytes bytes(buffer.data(), rx.held);
    report_wire(peer, asked.empty() ? local : asked.address(local.port()), bytes, rx.wire_length,
                true);
    Flow* flow = flows.find(peer);
    if (flow == nullptr) flow = open_flow(peer, now);
    if (flow == nullptr) continue;  // counted as a failed flow
    flows.touch(*flow, now);
    flow->asked = asked;
    if (rx.held > 0) {
      const auto byte0 = std::to_integer<std::uint8_t>(buffer[0]);
      flow->format =
          (byte0 & wire::kFormatMask) != 0 ? protocol::Format::string : protocol::Format::integer;
    }
    relay(Direction::forward, *flow, bytes, rx.wire_length, now);
  }
}

void Relay::State::read_server(std::uint64_t flow_id, Clock::time_point now) {
  for (int i = 0; i < kMaxPerWake; ++i) {
    Flow* flow = flows.find_id(flow_id);
    if (flow == nullptr) return;  // closed earlier in this turn
    const RecvResult rx = flow->upstream.recv_from(buffer, nullptr);
    if (rx.outcome == RecvOutcome::would_block) return;
    if (rx.outcome == RecvOutcome::failed) {
      // An ICMP error for an earlier forward datagram (ECONNREFUSED: no server listening).
      ++stats[Direction::forward].send_failed;
      log("flow " + flow->peer.to_string() +
          ": the server side reports: " + std::strerror(rx.error));
      continue;
    }
    flows.touch(*flow, now);
    const protocol::Bytes bytes(buffer.data(), rx.held);
    report_wire(options.server, flow->upstream_local, bytes, rx.wire_length, true);
    relay(Direction::reverse, *flow, bytes, rx.wire_length, now);
  }
}

void Relay::State::relay(Direction dir, Flow& flow, protocol::Bytes bytes, std::size_t wire_length,
                         Clock::time_point now) {
  DirectionStats& st = stats[dir];
  ++st.received;
  const Decision d = deciders[as_index(dir)].decide(bytes.size());
  std::string_view note;
  const std::uint64_t overflow_before = st.overflow;
  if (d.drop) {
    ++st.dropped;
  } else {
    ++st.passed;
    if (d.cut_to) ++st.cut;
    if (d.corrupt) ++st.corrupted;
    if (d.duplicate) ++st.duplicated;
    if (d.delay.count() > 0 || (d.duplicate && d.duplicate->count() > 0)) ++st.delayed;
    HeldDatagram item{{bytes.begin(), bytes.end()}, d, 0};
    apply(d, item.bytes);
    std::optional<HeldDatagram> previous = std::exchange(flow.held[as_index(dir)], std::nullopt);
    if (previous) account_out(previous->bytes.size());
    if (d.reorder && !previous) {
      hold(dir, flow, std::move(item), now);
    } else {
      // A held datagram leaves right behind this one: that is the reordering.
      const Clock::time_point due = emit(dir, flow, std::move(item), now, now);
      if (previous) {
        emit(dir, flow, std::move(*previous), now, due);
        note = d.reorder ? "; one is held already: this one passes it" : "; releases the held one";
      }
    }
  }
  if (options.trace) {
    std::string action = to_string(d) + std::string(note);
    if (st.overflow != overflow_before) {
      action += "; " + std::to_string(st.overflow - overflow_before) +
                " copy(ies) dropped: too many held (--max-held, --max-held-bytes)";
    }
    options.trace(TraceRecord{dir, flow.peer, bytes, wire_length, flow.format, action});
  }
}

Clock::time_point Relay::State::emit(Direction dir, const Flow& flow, HeldDatagram item,
                                     Clock::time_point now, Clock::time_point not_before) {
  const Clock::time_point first_due = std::max(now + item.decision.delay, not_before);
  std::optional<Clock::time_point> second_due;
  if (item.decision.duplicate) second_due = std::max(now + *item.decision.duplicate, not_before);
  const auto schedule = [&](Clock::time_point due, std::vector<std::byte> bytes) {
    if (due <= now) {
      send(dir, flow.id, flow.peer, bytes);
    } else if (make_room(dir, bytes.size())) {
      delayed.push(due, Pending{dir, flow.id, flow.peer, std::move(bytes)});
    }
  };
  if (second_due) schedule(first_due, item.bytes);  // a copy: the second one takes the bytes
  schedule(second_due.value_or(first_due), std::move(item.bytes));
  if (second_due) return std::min(first_due, *second_due);
  return first_due;
}

void Relay::State::hold(Direction dir, Flow& flow, HeldDatagram item, Clock::time_point now) {
  if (!make_room(dir, item.bytes.size())) return;
  ++stats[dir].reordered;
  item.generation = next_generation++;
  holds.push(now + options.reorder_hold, HoldTimer{flow.id, dir, item.generation});
  flow.held[as_index(dir)] = std::move(item);
}

bool Relay::State::make_room(Direction dir, std::size_t size) {
  if (stats.held_now >= options.max_held || held_bytes + size > options.max_held_bytes) {
    ++stats[dir].overflow;
    return false;
  }
  ++stats.held_now;
  held_bytes += size;
  return true;
}

void Relay::State::account_out(std::size_t size) {
  --stats.held_now;
  held_bytes -= size;
}

void Relay::State::send(Direction dir, std::uint64_t flow_id, const Address& peer,
                        protocol::Bytes bytes) {
  int err = 0;
  if (dir == Direction::reverse) {
    // A reply whose flow has expired meanwhile leaves from the routing table's choice.
    const Flow* flow = flows.find_id(flow_id);
    const ReplySource source = flow != nullptr ? flow->asked : ReplySource{};
    err = listen.send_from(bytes, peer, source);
    if (err == 0) {
      report_wire(source.empty() ? local : source.address(local.port()), peer, bytes, bytes.size(),
                  false);
    }
  } else if (const Flow* flow = flows.find_id(flow_id); flow != nullptr) {
    err = flow->upstream.send(bytes);
    if (err == 0) report_wire(flow->upstream_local, options.server, bytes, bytes.size(), false);
  } else {
    ++stats[dir].orphaned;
    return;
  }
  if (err != 0) {
    ++stats[dir].send_failed;
    log(std::string(to_string(dir)) + " copy for " + peer.to_string() +
        " lost: " + std::strerror(err));
  }
}

void Relay::State::fire_timers(Clock::time_point now) {
  while (auto p = delayed.pop_due(now)) {
    account_out(p->bytes.size());
    send(p->direction, p->flow, p->peer, p->bytes);
  }
  while (auto h = holds.pop_due(now)) {
    Flow* flow = flows.find_id(h->flow);
    if (flow == nullptr) continue;
    std::optional<HeldDatagram>& slot = flow->held[as_index(h->direction)];
    if (!slot || slot->generation != h->generation) continue;  // released by a later datagram
    HeldDatagram item = std::move(*slot);
    slot.reset();
    account_out(item.bytes.size());
    emit(h->direction, *flow, std::move(item), now, now);
  }
  while (auto flow = flows.pop_expired(now, options.idle_timeout)) {
    ++stats.flows.expired;
    close_flow(std::move(*flow), "expired");
  }
}

Flow* Relay::State::open_flow(const Address& peer, Clock::time_point now) {
  if (flows.full()) evict_one();
  auto upstream = DatagramSocket::connect(options.server);
  const int err = upstream ? 0 : upstream.error().code.value();
  if ((err == EMFILE || err == ENFILE) && flows.size() > 0) {
    evict_one();  // out of fds: an old flow makes way for the new client
    upstream = DatagramSocket::connect(options.server);
  }
  if (!upstream) {
    ++stats.flows.failed;
    log("cannot open a flow for " + peer.to_string() + ": " + upstream.error().message());
    return nullptr;
  }
  Flow& flow = flows.insert(peer, std::move(*upstream), now);
  const std::uint64_t id = flow.id;
  if (auto st = loop.watch(flow.upstream.fd(), event::Interest::read,
                           [this, id](event::Ready) { read_server(id, options.clock()); });
      !st) {
    ++stats.flows.failed;
    log("cannot open a flow for " + peer.to_string() + ": " + st.error().message());
    flows.remove(flow.id);
    return nullptr;
  }
  ++stats.flows.created;
  stats.flows.active = flows.size();
  if (options.log || options.wire) {  // one getsockname() per flow, and only when asked for
    const auto up = flow.upstream.local_address();
    if (up) flow.upstream_local = *up;
    if (options.log) {
      log("flow " + peer.to_string() + " created (upstream " +
          (up ? up->to_string() : std::string("?")) + ")");
    }
  }
  return &flow;
}

void Relay::State::evict_one() {
  if (auto flow = flows.pop_least_recent()) {
    ++stats.flows.evicted;
    close_flow(std::move(*flow), "evicted");
  }
}

void Relay::State::close_flow(Flow flow, std::string_view why) {
  loop.unwatch(flow.upstream.fd());
  for (Direction d : {Direction::forward, Direction::reverse}) {
    if (auto& held = flow.held[as_index(d)]; held) {
      account_out(held->bytes.size());
      ++stats[d].orphaned;
    }
  }
  stats.flows.active = flows.size();
  log("flow " + flow.peer.to_string() + " " + std::string(why));
}  // the upstream socket closes here

}  // namespace sockcalc::linksim

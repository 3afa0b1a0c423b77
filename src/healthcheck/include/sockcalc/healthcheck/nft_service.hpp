// SPDX-License-Identifier: MIT
// healthcheck/nft_service.hpp -- internal to the health checker (module sockcalc_healthcheck).
// NftService: the live endpoints of an nftables virtual service built as kube-proxy builds one
// (deploy/nftables/sockcalc.nft.in): chains svc6/svc4 hold one `numgen random mod K vmap`
// rule over the endpoint chains ep6-NAME/ep4-NAME. Changed through libnftables, one
// transaction per change. One thread (the checker's) per object.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sockcalc/healthcheck/backend.hpp"

struct nft_ctx;

namespace sockcalc::healthcheck {

/// The table holding the service: "inet sockcalc" by default.
struct NftTable {
  std::string family = "inet";
  std::string name = "sockcalc";
  [[nodiscard]] std::string spec() const { return family + " " + name; }
};

/// The nft commands that make `live` the service's endpoints, one transaction's worth: for
/// each family in `families` (Family::v6 -> svc6/ep6-, v4 -> svc4/ep4-) a flush of the
/// service chain and, when some live endpoint has an address of that family, one rule
/// `numgen random mod K vmap { 0 : goto epF-NAME, ... }` over them. No rule for a family
/// with no live endpoint: the datagram passes on to the virtual address (docs/SCALING.md).
std::string service_commands(const NftTable& table, const std::vector<Family>& families,
                             const std::vector<const Endpoint*>& live);

class NftService final : public Backend {
 public:
  /// Opens a libnftables context and checks, changing nothing, that `table` exists and holds
  /// the service chain of every family the endpoints have an address of and the endpoint
  /// chain of every endpoint and family. Fails with nft's own error (no table, no permission,
  /// no nf_tables in the kernel), or names the missing chain.
  static Result<std::unique_ptr<NftService>> open(const NftTable& table,
                                                  const std::vector<Endpoint>& endpoints);
  ~NftService() override;

  [[nodiscard]] std::string describe() const override { return "nftables " + table_.spec(); }
  /// Runs service_commands() as one libnftables buffer: nft sends it as one netlink batch,
  /// which the kernel commits whole or not at all.
  Status apply(const std::vector<const Endpoint*>& live) override;
  /// Deletes the conntrack entries of UDP flows to `gone` (conntrack.hpp); returns how many.
  Result<int> forget(const Endpoint& gone) override;

 private:
  NftService(NftTable table, std::vector<Family> families, nft_ctx* ctx)
      : table_(std::move(table)), families_(std::move(families)), ctx_(ctx) {}
  Status run(const std::string& commands, const std::string& what);

  NftTable table_;
  std::vector<Family> families_;
  nft_ctx* ctx_;
};

}  // namespace sockcalc::healthcheck

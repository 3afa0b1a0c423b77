// SPDX-License-Identifier: MIT
// healthcheck/nft_service.cpp -- internal. The nftables service through libnftables.
// One thread per NftService (a libnftables context is not shared).
#include "sockcalc/healthcheck/nft_service.hpp"

#include <nftables/libnftables.h>

#include "sockcalc/healthcheck/conntrack.hpp"

namespace sockcalc::healthcheck {
namespace {

// "6" or "4": the families' part of the chain names, as in deploy/nftables/sockcalc.nft.in.
const char* digit(Family family) { return family == Family::v6 ? "6" : "4"; }

std::string service_chain(Family family) { return std::string("svc") + digit(family); }

std::string endpoint_chain(Family family, const std::string& name) {
  return std::string("ep") + digit(family) + "-" + name;
}

// nft's message is "Error: REASON\nTHE COMMAND\n   ^^^^^\n", or "netlink: Error: REASON: Errno
// text": the reason alone, in the project's lower case, with what a refusal needs.
std::string first_line(const char* text) {
  std::string line(text == nullptr ? "" : text);
  line = line.substr(0, line.find('\n'));
  for (const std::string noise : {"netlink: ", "Error: "}) {
    for (std::size_t at = line.find(noise); at != std::string::npos; at = line.find(noise)) {
      line.erase(at, noise.size());
    }
  }
  for (std::size_t i = 0; i < line.size(); ++i) {
    const bool starts = i == 0 || (i >= 2 && line[i - 2] == ':' && line[i - 1] == ' ');
    if (starts && line[i] >= 'A' && line[i] <= 'Z') line[i] = char(line[i] - 'A' + 'a');
  }
  if (line.find("not permitted") != std::string::npos) line += " (needs root or CAP_NET_ADMIN)";
  return line.empty() ? "nft failed without a message" : line;
}

std::vector<Family> families_of(const std::vector<Endpoint>& endpoints) {
  std::vector<Family> families;
  for (Family f : {Family::v6, Family::v4}) {
    for (const Endpoint& e : endpoints) {
      if (e.address_of(f)) {
        families.push_back(f);
        break;
      }
    }
  }
  return families;
}

}  // namespace

Result<int> Backend::forget(const Endpoint&) { return 0; }

std::string service_commands(const NftTable& table, const std::vector<Family>& families,
                             const std::vector<const Endpoint*>& live) {
  std::string commands;
  for (Family f : families) {
    const std::string chain = table.spec() + " " + service_chain(f);
    commands += "flush chain " + chain + "\n";
    std::string map;
    int k = 0;
    for (const Endpoint* e : live) {
      if (!e->address_of(f)) continue;
      map += (k == 0 ? "" : ", ") + std::to_string(k) + " : goto " + endpoint_chain(f, e->name);
      ++k;
    }
    if (k > 0) {
      commands += "add rule " + chain + " numgen random mod " + std::to_string(k) + " vmap { " +
                  map + " }\n";
    }
  }
  return commands;
}

Result<std::unique_ptr<NftService>> NftService::open(const NftTable& table,
                                                     const std::vector<Endpoint>& endpoints) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return validation_error("cannot create a libnftables context");
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    return validation_error("cannot buffer libnftables' output");
  }
  std::unique_ptr<NftService> service(new NftService(table, families_of(endpoints), ctx));
  if (Status st = service->run("list table " + table.spec(), "read nftables table"); !st) {
    return st.error();
  }
  for (Family f : service->families_) {
    std::vector<std::string> chains{service_chain(f)};
    for (const Endpoint& e : endpoints) {
      if (e.address_of(f)) chains.push_back(endpoint_chain(f, e.name));
    }
    for (const std::string& chain : chains) {
      if (!service->run("list chain " + table.spec() + " " + chain, "find chain")) {
        return validation_error("nftables table " + table.spec() + " has no chain " + chain +
                                " (deploy/nftables/sockcalc.nft.in makes one)");
      }
    }
  }
  return service;
}

NftService::~NftService() { nft_ctx_free(ctx_); }

Status NftService::run(const std::string& commands, const std::string& what) {
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) == 0) return Ok{};
  return validation_error("cannot " + what + " " + table_.spec() + ": " +
                          first_line(nft_ctx_get_error_buffer(ctx_)));
}

Status NftService::apply(const std::vector<const Endpoint*>& live) {
  return run(service_commands(table_, families_, live), "change the service in nftables table");
}

Result<int> NftService::forget(const Endpoint& gone) {
  int total = 0;
  for (const Address& a : gone.addresses) {
    auto deleted = delete_udp_flows_to(a);
    if (!deleted) return deleted.error();
    total += *deleted;
  }
  return total;
}

}  // namespace sockcalc::healthcheck

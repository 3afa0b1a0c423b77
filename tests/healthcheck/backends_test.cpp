// SPDX-License-Identifier: MIT
// tests/healthcheck/backends_test.cpp -- the health checker's backends against the real
// thing, inside network namespaces the tests make: the nftables service of
// deploy/nftables/sockcalc.nft.in (one transaction per change, nothing half-made), the
// conntrack entries of a removed endpoint (a client's socket reaches the new endpoint only
// once they are gone), the ECMP multipath route (withdraw and restore a nexthop).
// Test thread only (moved into a lab host for the library's calls); processes stopped by pid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lab.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/healthcheck/conntrack.hpp"
#include "sockcalc/healthcheck/ecmp_route.hpp"
#include "sockcalc/healthcheck/nft_service.hpp"

namespace sockcalc::healthcheck {
namespace {

using ::testing::HasSubstr;
using testing::NetLab;
using ::testing::Not;

Endpoint endpoint(int j) {
  return *parse_endpoint(
      "s" + std::to_string(j) + "=" + testing::server6(j) + "," + testing::server4(j),
      testing::kServicePort);
}

std::vector<const Endpoint*> pointers(const std::vector<Endpoint>& endpoints,
                                      std::initializer_list<int> which) {
  std::vector<const Endpoint*> live;
  for (int j : which) live.push_back(&endpoints[static_cast<std::size_t>(j - 1)]);
  return live;
}

// One host "r" holding the ruleset; the test thread inside it.
class NftBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    if (testing::nft_program().empty()) {
      if (testing::netns_required()) FAIL() << "no nft program (Debian package nftables)";
      GTEST_SKIP() << "no nft program (Debian package nftables)";
    }
    auto lab = NetLab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message();
    lab_ = std::move(*lab);
    HC_ASSERT_OK(lab_->add_host("r"));
    HC_ASSERT_OK(testing::load_ruleset(*lab_, "r"));
    auto inside = testing::InNamespace::enter(lab_->netns("r"));
    ASSERT_TRUE(inside.ok()) << inside.error().message();
    inside_ = std::move(*inside);
    endpoints_ = {endpoint(1), endpoint(2), endpoint(3)};
  }

  std::string chain(const std::string& name) const { return testing::list_chain(*lab_, "r", name); }

  std::unique_ptr<NetLab> lab_;
  std::unique_ptr<testing::InNamespace> inside_;  // left before the lab is deleted
  std::vector<Endpoint> endpoints_;
};

TEST_F(NftBackend, RewritesBothServiceChainsOverTheLiveEndpoints) {
  auto service = NftService::open({}, endpoints_);
  ASSERT_TRUE(service.ok()) << service.error().message();
  EXPECT_EQ((*service)->describe(), "nftables inet sockcalc");
  HC_ASSERT_OK((*service)->apply(pointers(endpoints_, {1, 3})));
  EXPECT_THAT(chain("svc6"),
              HasSubstr("numgen random mod 2 vmap { 0 : goto ep6-s1, 1 : goto ep6-s3 }"));
  EXPECT_THAT(chain("svc4"),
              HasSubstr("numgen random mod 2 vmap { 0 : goto ep4-s1, 1 : goto ep4-s3 }"));
  HC_ASSERT_OK((*service)->apply({}));
  EXPECT_THAT(chain("svc6"), Not(HasSubstr("numgen")));
  EXPECT_THAT(chain("svc4"), Not(HasSubstr("numgen")));
  EXPECT_THAT(chain("svc6"), HasSubstr("chain svc6"));  // the chain stays, empty
  HC_ASSERT_OK((*service)->apply(pointers(endpoints_, {1, 2, 3})));
  EXPECT_THAT(chain("svc6"), HasSubstr("numgen random mod 3 vmap { 0 : goto ep6-s1, 1 : goto "
                                       "ep6-s2, 2 : goto ep6-s3 }"));
  // The endpoint chains are never touched.
  EXPECT_THAT(chain("ep6-s2"), HasSubstr("dnat ip6 to [" + testing::server6(2) + "]:10000"));
}

TEST_F(NftBackend, AFailedChangeLeavesTheServiceAsItWas) {
  auto service = NftService::open({}, endpoints_);
  ASSERT_TRUE(service.ok()) << service.error().message();
  const std::string svc6 = chain("svc6");
  const std::string svc4 = chain("svc4");
  ASSERT_THAT(svc6, HasSubstr("mod 3"));
  // An endpoint without chains in the table: the rule of svc4 cannot be added, after the
  // flushes of svc6 and svc4 in the same batch. The kernel commits all of it or nothing.
  const Endpoint stranger = *parse_endpoint("s9=fd00:5c:19::2,10.92.19.2", 10000);
  const Status st = (*service)->apply({&endpoints_[0], &stranger});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(),
              HasSubstr("cannot change the service in nftables table inet sockcalc: "));
  EXPECT_EQ(chain("svc6"), svc6);
  EXPECT_EQ(chain("svc4"), svc4);
}

TEST_F(NftBackend, OpenChecksTheTableAndEveryChainAndChangesNothing) {
  const std::string svc6 = chain("svc6");
  auto missing_table = NftService::open({.family = "inet", .name = "nosuch"}, endpoints_);
  ASSERT_FALSE(missing_table.ok());
  EXPECT_EQ(missing_table.error().message(),
            "cannot read nftables table inet nosuch: no such file or directory");
  std::vector<Endpoint> four = endpoints_;
  four.push_back(*parse_endpoint("s4=10.92.14.2", 10000));
  auto missing_chain = NftService::open({}, four);
  ASSERT_FALSE(missing_chain.ok());
  EXPECT_EQ(missing_chain.error().message(),
            "nftables table inet sockcalc has no chain ep4-s4 "
            "(deploy/nftables/sockcalc.nft.in makes one)");
  EXPECT_EQ(chain("svc6"), svc6);
}

// A client on the router itself calls the virtual address (the ruleset's output hook DNATs
// it); servers s1 and s2 on the router's lo. The client keeps its socket, as a client
// retransmitting does: its flow's conntrack entry pins it to the endpoint first chosen.
class ConntrackForget : public NftBackend, public ::testing::WithParamInterface<Family> {};

client::CallResult call(client::Client& c) {
  protocol::Request request;
  request.op = protocol::Op::sum;
  request.operands.push_back(20);
  request.operands.push_back(22);
  client::CallOptions options;
  options.timeout = std::chrono::milliseconds(300);
  options.retries = 0;
  auto r = c.call(request, options);
  return r.ok() ? *r : client::CallResult{};
}

TEST_P(ConntrackForget, DeletingAFlowsEntryMovesItsClientToALiveEndpoint) {
  const bool v6 = GetParam() == Family::v6;
  const auto host_address = [&](const std::string& a) { return a + (v6 ? "/128" : "/32"); };
  for (const std::string& a :
       v6 ? std::vector{testing::kVip6, testing::server6(1), testing::server6(2)}
          : std::vector{testing::kVip4, testing::server4(1), testing::server4(2)}) {
    HC_ASSERT_OK(lab_->add_address("r", "lo", host_address(a)));
  }
  const auto server_at = [&](int j) {
    return lab_->start_server("r", SOCKCALC_SERVER_BIN,
                              {"--threads", "1", v6 ? testing::server6(j) : testing::server4(j),
                               std::to_string(testing::kServicePort)});
  };
  auto s1 = server_at(1);
  auto s2 = server_at(2);
  ASSERT_TRUE(s1.ok() && s2.ok());
  auto service = NftService::open({}, endpoints_);
  ASSERT_TRUE(service.ok()) << service.error().message();
  HC_ASSERT_OK((*service)->apply(pointers(endpoints_, {1})));

  auto vip = Address::resolve(v6 ? testing::kVip6 : testing::kVip4, testing::kServicePort,
                              Purpose::connect);
  ASSERT_TRUE(vip.ok()) << vip.error().message();
  auto client = client::Client::connect(vip->front());
  ASSERT_TRUE(client.ok()) << client.error().message();
  EXPECT_EQ(call(*client).status, client::CallStatus::success);  // through s1

  ASSERT_TRUE((*s1)->stop());
  HC_ASSERT_OK((*service)->apply(pointers(endpoints_, {2})));
  // The service now holds s2 alone, but this socket's flow is still NATed to the dead s1.
  EXPECT_NE(call(*client).status, client::CallStatus::success);
  auto forgotten = (*service)->forget(endpoints_[0]);
  ASSERT_TRUE(forgotten.ok()) << forgotten.error().message();
  EXPECT_GE(*forgotten, 1);
  const client::CallResult after = call(*client);
  EXPECT_EQ(after.status, client::CallStatus::success) << (*s2)->report();
  EXPECT_EQ(after.value, 42u);
  // Nothing left to delete; another server's flows are untouched.
  EXPECT_EQ(*delete_udp_flows_to(*endpoints_[0].address_of(GetParam())), 0);
  EXPECT_GE(*delete_udp_flows_to(*endpoints_[1].address_of(GetParam())), 1);
}

INSTANTIATE_TEST_SUITE_P(BothFamilies, ConntrackForget, ::testing::Values(Family::v6, Family::v4),
                         [](const auto& p) { return p.param == Family::v6 ? "v6" : "v4"; });

// A router "r" linked to s1 and s2 (fd00:5c:1J::1 and 10.92.1J.1 on its side); the test
// thread inside r.
class EcmpBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    auto lab = NetLab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message();
    lab_ = std::move(*lab);
    HC_ASSERT_OK(lab_->add_host("r"));
    for (int j = 1; j <= 2; ++j) {
      const std::string s = "s" + std::to_string(j);
      const std::string link = "to" + s;
      const std::string net6 = "fd00:5c:1" + std::to_string(j) + "::";
      const std::string net4 = "10.92.1" + std::to_string(j) + ".";
      HC_ASSERT_OK(lab_->add_host(s));
      HC_ASSERT_OK(lab_->link({.host_a = "r", .if_a = link, .host_b = s, .if_b = "eth0"}));
      HC_ASSERT_OK(lab_->add_address("r", link, net6 + "1/64"));
      HC_ASSERT_OK(lab_->add_address("r", link, net4 + "1/24"));
      HC_ASSERT_OK(lab_->add_address(s, "eth0", net6 + "2/64"));
      HC_ASSERT_OK(lab_->add_address(s, "eth0", net4 + "2/24"));
    }
    auto inside = testing::InNamespace::enter(lab_->netns("r"));
    ASSERT_TRUE(inside.ok()) << inside.error().message();
    inside_ = std::move(*inside);
    endpoints_ = {endpoint(1), endpoint(2)};
  }

  std::string route(Family f, const std::string& prefix) const {
    return testing::ip_output(*lab_, "r", {f == Family::v6 ? "-6" : "-4", "route", "show", prefix});
  }

  std::unique_ptr<NetLab> lab_;
  std::unique_ptr<testing::InNamespace> inside_;
  std::vector<Endpoint> endpoints_;
};

TEST_F(EcmpBackend, WithdrawsAndRestoresNexthopsOfBothFamilies) {
  for (const auto& [family, text] :
       {std::pair{Family::v6, "fd00:5c:fe::1/128"}, std::pair{Family::v4, "10.92.254.1/32"}}) {
    const std::string gw1 = family == Family::v6 ? testing::server6(1) : testing::server4(1);
    const std::string gw2 = family == Family::v6 ? testing::server6(2) : testing::server4(2);
    const std::string shown = family == Family::v6 ? "fd00:5c:fe::1" : "10.92.254.1";
    // As deploy/scaleout/topology.sh makes it: ip route add PREFIX nexthop via ... nexthop via.
    HC_ASSERT_OK(
        lab_->ip("r", {"route", "add", text, "nexthop", "via", gw1, "nexthop", "via", gw2}));
    auto prefix = parse_prefix(text);
    ASSERT_TRUE(prefix.ok());
    auto ecmp = EcmpRoute::open(*prefix, endpoints_);
    ASSERT_TRUE(ecmp.ok()) << ecmp.error().message();
    EXPECT_EQ((*ecmp)->describe(), "route " + std::string(text));

    HC_ASSERT_OK((*ecmp)->apply(pointers(endpoints_, {2})));
    std::string now = route(family, text);
    EXPECT_THAT(now, Not(HasSubstr("via " + gw1 + " "))) << now;
    EXPECT_THAT(now, HasSubstr("via " + gw2 + " ")) << now;

    HC_ASSERT_OK((*ecmp)->apply({}));
    EXPECT_EQ(route(family, text), "");
    HC_ASSERT_OK((*ecmp)->apply({}));  // withdrawn twice: nothing to do, no error

    HC_ASSERT_OK((*ecmp)->apply(pointers(endpoints_, {1, 2})));
    now = route(family, text);
    EXPECT_THAT(now, HasSubstr(shown + " ")) << now;
    EXPECT_THAT(now, HasSubstr("nexthop via " + gw1 + " ")) << now;
    EXPECT_THAT(now, HasSubstr("nexthop via " + gw2 + " ")) << now;
  }
}

TEST_F(EcmpBackend, AFailedChangeLeavesTheRouteAsItWas) {
  auto prefix = parse_prefix("fd00:5c:fe::1/128");
  auto ecmp = EcmpRoute::open(*prefix, endpoints_);
  ASSERT_TRUE(ecmp.ok()) << ecmp.error().message();
  HC_ASSERT_OK((*ecmp)->apply(pointers(endpoints_, {1, 2})));
  const std::string before = route(Family::v6, "fd00:5c:fe::1/128");
  // A nexthop no link reaches: the kernel refuses the whole route.
  const Endpoint unreachable = *parse_endpoint("s9=fd00:5c:19::2", 10000);
  const Status st = (*ecmp)->apply({&endpoints_[0], &unreachable});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("cannot set the route to fd00:5c:fe::1/128: "));
  EXPECT_EQ(route(Family::v6, "fd00:5c:fe::1/128"), before);
}

TEST(EcmpOpen, RefusesAPrefixNoEndpointCanRoute) {
  const std::vector<Endpoint> v6_only = {*parse_endpoint("s1=fd00:5c:11::2", 10000)};
  auto ecmp = EcmpRoute::open(*parse_prefix("10.92.254.1/32"), v6_only);
  ASSERT_FALSE(ecmp.ok());
  EXPECT_EQ(ecmp.error().message(),
            "no endpoint has an IPv4 address to route 10.92.254.1/32 through");
}

}  // namespace
}  // namespace sockcalc::healthcheck

// SPDX-License-Identifier: MIT
// tests/metrics/http_endpoint_test.cpp -- internal to tests/metrics.
// The metrics endpoint over real TCP on loopback: scrapes, HEAD, status codes, and hostile
// clients (oversized, silent, garbage, early close, too many). Test thread plus the endpoint's.
#include "sockcalc/metrics/http_endpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "tcp_client.hpp"

namespace sockcalc::metrics {
namespace {

using metrics_test::body_of;
using metrics_test::http_exchange;
using metrics_test::TcpClient;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr milliseconds kPatience{5000};

// An endpoint on [::1]:0 whose body counts the scrapes: "scrape N\n".
class EndpointTest : public ::testing::Test {
 protected:
  void start(const EndpointLimits& limits = {}) {
    auto e = HttpEndpoint::start(
        {Address::loopback(Family::v6, 0)},
        [this] { return "scrape " + std::to_string(++scrapes_) + "\n"; }, limits);
    ASSERT_TRUE(e.ok()) << e.error().message();
    endpoint_.emplace(std::move(*e));
  }
  const Address& address() const { return endpoint_->local_address(); }
  std::string get(std::string_view version = "HTTP/1.1") const {
    return http_exchange(address(), "GET /metrics " + std::string(version) +
                                        "\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
  }

  std::atomic<int> scrapes_{0};
  std::optional<HttpEndpoint> endpoint_;
};

TEST_F(EndpointTest, GetMetricsAnswersTheBodyMadeAtRequestTime) {
  start();
  EXPECT_NE(address().port(), 0);
  const std::string first = get();
  EXPECT_THAT(first, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(first, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(first, HasSubstr("\r\nContent-Length: 9\r\n"));
  EXPECT_THAT(first, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_EQ(body_of(first), "scrape 1\n");
  EXPECT_EQ(body_of(get("HTTP/1.0")), "scrape 2\n");
  EXPECT_EQ(scrapes_.load(), 2);
}

TEST_F(EndpointTest, AcceptsAQueryStringAndBareLineFeeds) {
  start();
  EXPECT_EQ(body_of(http_exchange(address(), "GET /metrics?name[]=x HTTP/1.1\r\n\r\n")),
            "scrape 1\n");
  const std::string lf = http_exchange(address(), "GET /metrics HTTP/1.0\nHost: x\n\n");
  EXPECT_THAT(lf, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(EndpointTest, HeadGivesTheHeadersWithoutTheBody) {
  start();
  const std::string head = http_exchange(address(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nContent-Length: 9\r\n"));
  EXPECT_EQ(body_of(head), "");
}

TEST_F(EndpointTest, AnswersOtherPathsMethodsAndVersionsWithTheirStatus) {
  start();
  EXPECT_THAT(http_exchange(address(), "GET / HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(http_exchange(address(), "GET /metricsx HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404 "));
  const std::string post = http_exchange(address(), "POST /metrics HTTP/1.1\r\n\r\n");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 "));
  EXPECT_THAT(post, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  EXPECT_THAT(http_exchange(address(), "GET /metrics HTTP/2.0\r\n\r\n"),
              StartsWith("HTTP/1.1 505 "));
  EXPECT_EQ(scrapes_.load(), 0);  // the body is made only for a scrape
}

TEST_F(EndpointTest, GarbageGets400AndTheEndpointGoesOn) {
  start();
  for (std::string_view garbage :
       {std::string_view("\r\n\r\n"), std::string_view("GET\r\n\r\n"),
        std::string_view("GET  /metrics HTTP/1.1\r\n\r\n"),
        std::string_view("G\x01T /metrics HTTP/1.1\r\n\r\n"),
        std::string_view("GET metrics HTTP/1.1\r\n\r\n"),
        std::string_view("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"),
        std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 14)}) {
    EXPECT_THAT(http_exchange(address(), garbage), StartsWith("HTTP/1.1 400 ")) << garbage;
  }
  EXPECT_EQ(body_of(get()), "scrape 1\n");
}

TEST_F(EndpointTest, OversizedRequestGets431) {
  start({.max_request_bytes = 1024});
  // No end in sight: refused once the limit is passed, without waiting for more.
  auto endless = TcpClient::connect(address());
  ASSERT_TRUE(endless);
  ASSERT_TRUE(endless->send_all("GET /metrics HTTP/1.1\r\nX: " + std::string(2000, 'a')));
  const auto r = endless->read_to_end(kPatience);
  EXPECT_THAT(r.bytes, StartsWith("HTTP/1.1 431 "));
  EXPECT_TRUE(r.closed);
  // Complete, but too long.
  EXPECT_THAT(http_exchange(address(),
                            "GET /metrics HTTP/1.1\r\nX: " + std::string(1100, 'b') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431 "));
  EXPECT_EQ(body_of(get()), "scrape 1\n");
}

TEST_F(EndpointTest, ASilentClientDoesNotBlockOthersAndIsClosedAtItsDeadline) {
  start({.deadline = milliseconds(1500)});
  auto silent = TcpClient::connect(address());
  ASSERT_TRUE(silent);
  ASSERT_TRUE(silent->send_all("GET /met"));  // and nothing more
  // Another client is served while the silent one still holds its connection.
  EXPECT_EQ(body_of(get()), "scrape 1\n");
  EXPECT_FALSE(silent->peer_closed());
  // Then the deadline closes it, without a reply.
  const auto r = silent->read_to_end(kPatience);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.bytes, "");
}

TEST_F(EndpointTest, PastTheConnectionLimitTheOldestIsClosed) {
  start({.max_connections = 2});
  std::vector<TcpClient> silent;
  for (int i = 0; i < 2; ++i) {
    auto c = TcpClient::connect(address());
    ASSERT_TRUE(c);
    silent.push_back(std::move(*c));
  }
  // The third connection (a scrape) evicts the oldest silent one and is served.
  EXPECT_EQ(body_of(get()), "scrape 1\n");
  EXPECT_TRUE(silent[0].read_to_end(kPatience).closed);
  EXPECT_FALSE(silent[1].peer_closed());
}

TEST_F(EndpointTest, ClientsThatGoAwayEarlyDoNotHurtIt) {
  start();
  {
    auto c = TcpClient::connect(address());  // connects and closes at once
  }
  {
    auto c = TcpClient::connect(address());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("GET /metrics HT"));  // half a request line
  }
  {
    auto c = TcpClient::connect(address());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("GET /metrics HTTP/1.1\r\n\r\n"));  // then never reads the reply
  }
  // Each of these answered or closed by now; the endpoint still serves.
  const std::string r = get();
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(body_of(r), StartsWith("scrape "));
}

TEST(Endpoint, ServesALargeBodyWhole) {
  const std::string big(3 << 20, 'x');  // more than a socket buffer: partial sends
  auto e = HttpEndpoint::start({Address::loopback(Family::v4, 0)}, [&] { return big; });
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->local_address().family(), AF_INET);
  const std::string r =
      http_exchange(e->local_address(), "GET /metrics HTTP/1.1\r\n\r\n", kPatience);
  EXPECT_THAT(r, HasSubstr("\r\nContent-Length: 3145728\r\n"));
  EXPECT_EQ(body_of(r).size(), big.size());
}

TEST(Endpoint, ABodyThatThrowsGives500) {
  auto e = HttpEndpoint::start({Address::loopback(Family::v6, 0)},
                               []() -> std::string { throw std::runtime_error("no"); });
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_THAT(http_exchange(e->local_address(), "GET /metrics HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 500 "));
}

TEST(Endpoint, APortInUseFailsWithAClearMessage) {
  auto first = HttpEndpoint::start({Address::loopback(Family::v4, 0)}, [] { return ""; });
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = HttpEndpoint::start({first->local_address()}, [] { return ""; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(),
            "cannot bind TCP " + first->local_address().to_string() + ": address already in use");
}

TEST(Endpoint, StopClosesTheListenerAndTheConnections) {
  auto e = HttpEndpoint::start({Address::loopback(Family::v6, 0)}, [] { return ""; });
  ASSERT_TRUE(e.ok()) << e.error().message();
  const Address where = e->local_address();
  auto silent = TcpClient::connect(where);
  ASSERT_TRUE(silent);
  e->stop();
  EXPECT_TRUE(silent->read_to_end(kPatience).closed);
  EXPECT_FALSE(TcpClient::connect(where).has_value());
  e->stop();  // idempotent
}

TEST(Respond, ReadsOnlyTheHeadItIsGiven) {
  int calls = 0;
  const HttpEndpoint::Body body = [&] {
    ++calls;
    return std::string("b");
  };
  EXPECT_THAT(respond("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n", body),
              StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(respond("", body), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(respond("GET /metrics HTTP/1.1 extra\r\n\r\n", body), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(respond("GET /metrics FTP/1.0\r\n\r\n", body), StartsWith("HTTP/1.1 400 "));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace sockcalc::metrics

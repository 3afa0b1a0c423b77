// SPDX-License-Identifier: MIT
// tests/unit/address_test.cpp -- unit tests of address/address (internal to tests/).
// The text form round trip, resolution, Unix names, ports and equality of Address values.
// Single-threaded: plain GoogleTest cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "support/hostile.hpp"

namespace sockcalc {
namespace {

bool is_loopback(const Address& a) {
  if (a.family() == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_addr);
  }
  if (a.family() == AF_INET) {
    const std::uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(a.data())->sin_addr.s_addr);
    return (ip >> 24) == 127;  // 127.0.0.0/8
  }
  return false;
}

bool is_wildcard(const Address& a) {
  if (a.family() == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_addr);
  }
  if (a.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(a.data())->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return false;
}

// An unnamed Unix address: only the family, as recvfrom() reports a sender that never bound.
Address unnamed_unix() {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&un), sizeof(sa_family_t));
}

// ---- Text form ----

TEST(AddressText, RoundTripTable) {
  const char* const table[] = {
      "[::1]:10000",          "[2001:db8::1]:4433",    "127.0.0.1:10000",  "0.0.0.0:0",  "[::]:0",
      "[::ffff:127.0.0.1]:5", "255.255.255.255:65535", "unix:/tmp/x.sock", "unix:@name",
  };
  for (const char* text : table) {
    auto a = Address::parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), text);
    auto again = Address::parse(a->to_string());
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(*again, *a) << text;
  }
}

TEST(AddressText, ParsedFieldsAndRealLengths) {
  auto v6 = Address::parse("[::1]:10000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->port(), 10000);
  EXPECT_EQ(v6->length(), sizeof(sockaddr_in6));
  auto v4 = Address::parse("127.0.0.1:4433");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 4433);
  EXPECT_EQ(v4->length(), sizeof(sockaddr_in));
  auto path = Address::parse("unix:/tmp/x.sock");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->family(), AF_UNIX);
  EXPECT_EQ(path->unix_path(), "/tmp/x.sock");
  // The real length: the header, the path and its NUL, not sizeof(sockaddr_un).
  EXPECT_EQ(path->length(), offsetof(sockaddr_un, sun_path) + std::strlen("/tmp/x.sock") + 1);
}

TEST(AddressText, RejectsMalformedText) {
  const char* const bad[] = {
      "",           "::1:10000", "[::1]",    "[::1]:",        "[127.0.0.1]:1",
      "[::1:10000", "1.2.3.4",   "1.2.3.4:", "1.2.3.4:65536", "localhost:80",
      "1.2.3.4:x",  "[::1]:-1",  "10000",    "[zz::1]:1",
  };
  for (const char* text : bad) {
    auto a = Address::parse(text);
    EXPECT_FALSE(a.ok()) << "'" << text << "' parsed as " << a->to_string();
  }
}

TEST(AddressText, AnyAndLoopback) {
  EXPECT_EQ(Address::any(Family::v6, 0).to_string(), "[::]:0");
  EXPECT_EQ(Address::any(Family::v4, 7).to_string(), "0.0.0.0:7");
  EXPECT_EQ(Address::loopback(Family::v6, 10000).to_string(), "[::1]:10000");
  EXPECT_EQ(Address::loopback(Family::v4, 10000).to_string(), "127.0.0.1:10000");
  EXPECT_TRUE(is_loopback(Address::loopback(Family::v6, 1)));
  EXPECT_TRUE(is_wildcard(Address::any(Family::v4, 1)));
}

TEST(AddressText, UnnamedUnixPrints) { EXPECT_EQ(unnamed_unix().to_string(), "unix:(unnamed)"); }

// ---- Scopes ----
// `lo` always exists, with a name, so scoped forms are testable without a namespace. Only the
// text forms are tested here: nothing is bound or sent.

// [fe80::1%<index>]:port built from raw fields, as recvfrom() reports a link-local peer.
Address scoped_v6(const char* numeric, std::uint32_t scope, std::uint16_t port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  in6.sin6_scope_id = scope;
  EXPECT_EQ(inet_pton(AF_INET6, numeric, &in6.sin6_addr), 1) << numeric;
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof in6);
}

TEST(AddressScope, RoundTripTable) {
  ASSERT_NE(if_nametoindex("lo"), 0u) << "no interface named lo";
  const char* const table[] = {
      "[fe80::1%lo]:10000", "[fe80::abcd:ef01:2345:6789%lo]:0",
      "[ff02::1%lo]:5",  // link-local multicast has a scope too
      "[::1%lo]:7",      // a scope on any IPv6 address is kept as given
  };
  for (const char* text : table) {
    auto a = Address::parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error().message();
    EXPECT_EQ(a->scope_id(), if_nametoindex("lo")) << text;
    EXPECT_EQ(a->to_string(), text);
    auto again = Address::parse(a->to_string());
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(*again, *a) << text;
  }
}

TEST(AddressScope, NumericScopePrintsTheInterfaceName) {
  const std::string lo_index = std::to_string(if_nametoindex("lo"));
  auto a = Address::parse("[fe80::1%" + lo_index + "]:10000");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->to_string(), "[fe80::1%lo]:10000");
  EXPECT_EQ(*a, scoped_v6("fe80::1", if_nametoindex("lo"), 10000));
}

TEST(AddressScope, IndexWithoutANamePrintsTheNumberAndParsesBack) {
  // No host has four million interfaces: this index has no name.
  constexpr std::uint32_t kNoSuchIndex = 4'000'000;
  char name[IF_NAMESIZE] = {};
  ASSERT_EQ(if_indextoname(kNoSuchIndex, name), nullptr);
  const Address a = scoped_v6("fe80::1", kNoSuchIndex, 4433);
  EXPECT_EQ(a.to_string(), "[fe80::1%4000000]:4433");
  auto back = Address::parse(a.to_string());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, a);
}

TEST(AddressScope, UnscopedAddressesHaveScopeZero) {
  EXPECT_EQ(Address::loopback(Family::v6, 1).scope_id(), 0u);
  EXPECT_EQ(Address::loopback(Family::v4, 1).scope_id(), 0u);
  EXPECT_EQ(Address::parse_unix("unix:@a")->scope_id(), 0u);
}

TEST(AddressScope, ResolveTakesScopesAndBrackets) {
  const std::uint32_t lo = if_nametoindex("lo");
  struct Case {
    const char* host;
    Address want;
  };
  const Case table[] = {
      {"fe80::1%lo", scoped_v6("fe80::1", lo, 10000)},
      {"[fe80::1%lo]", scoped_v6("fe80::1", lo, 10000)},
      {"fe80::1%1", scoped_v6("fe80::1", 1, 10000)},
      {"[::1]", Address::loopback(Family::v6, 10000)},
      {"[::]", Address::any(Family::v6, 10000)},
      {"::1", Address::loopback(Family::v6, 10000)},
  };
  for (const Purpose purpose : {Purpose::bind, Purpose::connect}) {
    for (const Case& c : table) {
      auto r = Address::resolve(c.host, 10000, purpose);
      ASSERT_TRUE(r.ok()) << c.host << ": " << r.error().message();
      ASSERT_EQ(r->size(), 1u) << c.host;
      EXPECT_EQ(r->front(), c.want) << c.host << " gave " << r->front().to_string();
    }
  }
}

// Each bad HOST, and what the message must say.
struct BadHost {
  const char* host;
  const char* says;
};
const BadHost kBadHosts[] = {
    {"fe80::1", "link-local address fe80::1 needs a scope: write fe80::1%INTERFACE"},
    {"[fe80::1]", "link-local address fe80::1 needs a scope"},
    {"FE80::abcd", "link-local address FE80::abcd needs a scope"},
    {"ff02::1", "link-local address ff02::1 needs a scope"},
    {"fe80::1%sockcalc-none",
     "cannot use fe80::1%sockcalc-none: no interface named 'sockcalc-none'"},
    {"fe80::1%", "cannot use fe80::1%: empty scope; write fe80::1%INTERFACE"},
    {"fe80::1%0", "scope 0 names no interface"},
    {"fe80::1%-1", "no interface named '-1'"},
    {"127.0.0.1%lo", "cannot use 127.0.0.1%lo: a scope goes only with an IPv6 address"},
    {"localhost%lo", "cannot use localhost%lo: not a numeric IPv6 address"},
    {"[127.0.0.1]", "cannot use 127.0.0.1: not a numeric IPv6 address"},
    {"[localhost]", "not a numeric IPv6 address"},
    {"[::1", "cannot use [::1: no closing bracket"},
    {"zz::1", "cannot use zz::1: not a numeric IPv6 address"},
};

TEST(AddressScope, ResolveRejectsWithAMessageThatSaysWhy) {
  for (const BadHost& c : kBadHosts) {
    for (const Purpose purpose : {Purpose::bind, Purpose::connect}) {
      auto r = Address::resolve(c.host, 10000, purpose);
      ASSERT_FALSE(r.ok()) << c.host << " resolved to " << r->front().to_string();
      EXPECT_THAT(r.error().context, ::testing::HasSubstr(c.says))
          << c.host << ": '" << r.error().context << "' does not say '" << c.says << "'";
    }
  }
}

TEST(AddressScope, ParseRejectsWhatResolveRejects) {
  const char* const bad[] = {"[fe80::1]:1",   "[fe80::1%sockcalc-none]:1", "[fe80::1%]:1",
                             "[fe80::1%0]:1", "[127.0.0.1%lo]:1",          "fe80::1%lo:1"};
  for (const char* text : bad) {
    auto a = Address::parse(text);
    EXPECT_FALSE(a.ok()) << "'" << text << "' parsed as " << a->to_string();
  }
  auto a = Address::parse("[fe80::1]:1");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().context, ::testing::HasSubstr("needs a scope"));
}

// ---- Escaped Unix names ----
// Unix names are chosen by whoever binds them, a hostile local peer too: to_string() must
// never hand a control byte to a log line, and parse() must read the escaped text back.

TEST(AddressUnixEscape, RawNameToTextToAddressTable) {
  using namespace std::string_literals;
  struct Case {
    std::string bytes;
    bool abstract;
    const char* text;
  };
  const Case table[] = {
      {"x\nserver: stopped; received=0", true, "unix:@x\\x0aserver: stopped; received=0"},
      {"\x1b[31mred\x1b[0m", true, "unix:@\\x1b[31mred\\x1b[0m"},
      {"a\0b"s, true, "unix:@a\\x00b"},
      {"back\\slash", true, "unix:@back\\\\slash"},
      {"\r\x7f\x9b", true, "unix:@\\x0d\\x7f\\x9b"},
      {"/tmp/evil\n\x1b]0;title\x07", false, "unix:/tmp/evil\\x0a\\x1b]0;title\\x07"},
      {"/tmp/a\\b", false, "unix:/tmp/a\\\\b"},
      // A relative path starting with '@' is not an abstract name.
      {"@rel", false, "unix:\\x40rel"},
  };
  for (const Case& c : table) {
    const Address a = testing::raw_unix_address(
        c.bytes, c.abstract ? testing::UnixNamespace::abstract : testing::UnixNamespace::path);
    EXPECT_EQ(a.is_abstract(), c.abstract) << c.text;
    const std::string text = a.to_string();
    EXPECT_EQ(text, c.text);
    EXPECT_TRUE(testing::only_printable_ascii(text)) << text;
    auto back = Address::parse(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().message();
    EXPECT_EQ(*back, a) << text;
    auto back_unix = Address::parse_unix(text);
    ASSERT_TRUE(back_unix.ok()) << text;
    EXPECT_EQ(*back_unix, a) << text;
  }
}

TEST(AddressUnixEscape, EveryByteOfAnAbstractNameRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const Address a = testing::raw_unix_address(std::string("n") + static_cast<char>(b),
                                                testing::UnixNamespace::abstract);
    const std::string text = a.to_string();
    EXPECT_TRUE(testing::only_printable_ascii(text)) << b;
    auto back = Address::parse(text);
    ASSERT_TRUE(back.ok()) << b << ": " << back.error().message();
    EXPECT_EQ(*back, a) << b;
  }
}

TEST(AddressUnixEscape, BrokenEscapesAndNulInAPathAreRejected) {
  for (const char* bad : {"unix:@a\\q", "unix:@a\\x4", "unix:/a\\", "unix:/a\\x00b"}) {
    auto a = Address::parse_unix(bad);
    EXPECT_FALSE(a.ok()) << "'" << bad << "' parsed as " << a->to_string();
  }
  auto a = Address::parse_unix("unix:@a\\q");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().context, ::testing::HasSubstr("backslash"));
}

TEST(AddressUnixEscape, EscapedLengthIsNotTheNameLength) {
  // 107 bytes fit in an abstract name, however long their escaped text.
  constexpr std::size_t kSunPath = sizeof(sockaddr_un{}.sun_path);
  std::string escaped;
  for (std::size_t i = 0; i < kSunPath - 1; ++i) escaped += "\\x0a";
  auto a = Address::parse_unix("unix:@" + escaped);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->to_string(), "unix:@" + escaped);
  EXPECT_FALSE(Address::parse_unix("unix:@" + escaped + "\\x0a").ok());
}

// ---- Resolution ----

TEST(AddressResolve, NumericIpv6Loopback) {
  auto r = Address::resolve("::1", 10000, Purpose::connect);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_FALSE(r->empty());
  for (const Address& a : *r) {
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_TRUE(is_loopback(a)) << a.to_string();
    EXPECT_EQ(a.port(), 10000);
  }
  EXPECT_EQ(r->front(), Address::loopback(Family::v6, 10000));
}

TEST(AddressResolve, NumericIpv6Wildcard) {
  auto r = Address::resolve("::", 0, Purpose::bind);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE(is_wildcard(r->front()));
  EXPECT_EQ(r->front().family(), AF_INET6);
}

TEST(AddressResolve, NumericIpv4Loopback) {
  auto r = Address::resolve("127.0.0.1", 4433, Purpose::connect);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front(), Address::loopback(Family::v4, 4433));
}

TEST(AddressResolve, LocalhostGivesOnlyLoopbacksWithoutDuplicates) {
  auto r = Address::resolve("localhost", 10000, Purpose::connect);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_GE(r->size(), 1u);
  for (std::size_t i = 0; i < r->size(); ++i) {
    EXPECT_TRUE(is_loopback((*r)[i])) << (*r)[i].to_string();
    EXPECT_EQ((*r)[i].port(), 10000);
    for (std::size_t j = i + 1; j < r->size(); ++j) EXPECT_FALSE((*r)[i] == (*r)[j]);
  }
}

TEST(AddressResolve, EmptyHostForBindIsTheWildcard) {
  auto r = Address::resolve("", 10000, Purpose::bind);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_GE(r->size(), 1u);
  for (const Address& a : *r) EXPECT_TRUE(is_wildcard(a)) << a.to_string();
}

// An empty label: the resolver refuses the name before sending any query (nothing leaves the
// machine) with EAI_NONAME, its code kept in the resolver's category and its text said once.
TEST(AddressResolve, UnknownNameFailsNamingIt) {
  auto r = Address::resolve("no..such.host", 10000, Purpose::connect);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cannot resolve 'no..such.host': name or service not known");
  EXPECT_EQ(r.error().code, std::error_code(EAI_NONAME, resolver_category()));
  EXPECT_NE(r.error().code, std::errc::resource_unavailable_try_again);
}

TEST(AddressResolve, ResolverCodesReadAsTheResolverSaysThem) {
  const std::error_code again(EAI_AGAIN, resolver_category());
  EXPECT_STREQ(resolver_category().name(), "resolver");
  EXPECT_EQ(again.message(), gai_strerror(EAI_AGAIN));
  // A temporary failure compares equal to EAGAIN's condition: callers test for "try later"
  // without knowing the resolver's codes.
  EXPECT_EQ(again, std::errc::resource_unavailable_try_again);
  EXPECT_NE(std::error_code(EAI_NONAME, resolver_category()),
            std::errc::resource_unavailable_try_again);
  EXPECT_EQ((Error{again, "cannot resolve 'x'"}).message(),
            "cannot resolve 'x': temporary failure in name resolution");
}

// A value that fails a check is a validation error: no code, no "invalid argument" appended.
TEST(AddressResolve, ValidationFailuresCarryNoCode) {
  for (const char* bad : {"fe80::1", "fe80::1%", "127.0.0.1%lo"}) {
    auto r = Address::resolve(bad, 10000, Purpose::connect);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(r.error().code) << bad << ": " << r.error().code.message();
    EXPECT_EQ(r.error().message(), r.error().context);
  }
  auto port = parse_port("70000");
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().message(), "invalid port '70000': must be 0..65535");
}

// ---- Unix names ----

TEST(AddressUnix, PathAndAbstract) {
  auto path = Address::parse_unix("unix:/tmp/x.sock");
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(path->is_unix());
  EXPECT_FALSE(path->is_abstract());
  EXPECT_FALSE(path->is_unnamed());
  EXPECT_EQ(path->unix_path(), "/tmp/x.sock");
  EXPECT_EQ(path->port(), 0);

  auto abstract = Address::parse_unix("unix:@name");
  ASSERT_TRUE(abstract.ok());
  EXPECT_TRUE(abstract->is_abstract());
  EXPECT_FALSE(abstract->is_unnamed());
  EXPECT_EQ(abstract->unix_path(), "");
  // The abstract name is the bytes after a leading NUL; no NUL terminates it.
  EXPECT_EQ(abstract->length(), offsetof(sockaddr_un, sun_path) + 1 + 4);

  EXPECT_FALSE(*path == *abstract);
}

TEST(AddressUnix, UnnamedIsNeitherPathNorAbstract) {
  const Address a = unnamed_unix();
  EXPECT_TRUE(a.is_unix());
  EXPECT_TRUE(a.is_unnamed());
  EXPECT_FALSE(a.is_abstract());
  EXPECT_EQ(a.unix_path(), "");
}

TEST(AddressUnix, P13_NoSenderAddressBecomesUnnamed) {
  // recvfrom() reports a length of 0, and writes nothing, for a sender that never bound.
  Address a;
  a.set_length(0);
  EXPECT_TRUE(a.is_unix());
  EXPECT_TRUE(a.is_unnamed());
  EXPECT_EQ(a.to_string(), "unix:(unnamed)");
  EXPECT_EQ(a, unnamed_unix());
}

TEST(AddressUnix, IpAndDefaultAddressesAreNotUnix) {
  const Address ip = Address::loopback(Family::v6, 1);
  EXPECT_FALSE(ip.is_unix());
  EXPECT_FALSE(ip.is_unnamed());
  EXPECT_FALSE(ip.is_abstract());
  const Address none;
  EXPECT_FALSE(none.is_unix());
  EXPECT_FALSE(none.is_unnamed());
  EXPECT_EQ(none.length(), 0u);
}

TEST(AddressUnix, ParseErrors) {
  for (const char* bad : {"unix:", "unix:@", "/tmp/x.sock", "unx:/a", "", "UNIX:/a"}) {
    auto a = Address::parse_unix(bad);
    EXPECT_FALSE(a.ok()) << bad;
  }
  auto empty = Address::parse_unix("unix:");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), ::testing::HasSubstr("empty"));
  auto prefix = Address::parse_unix("/tmp/x.sock");
  ASSERT_FALSE(prefix.ok());
  EXPECT_THAT(prefix.error().message(), ::testing::HasSubstr("/tmp/x.sock"));
}

TEST(AddressUnix, NameLengthLimits) {
  constexpr std::size_t kSunPath = sizeof(sockaddr_un{}.sun_path);  // 108 on Linux
  // A path needs room for its NUL: 107 characters fit, 108 do not.
  const std::string fits = "/" + std::string(kSunPath - 2, 'p');
  const std::string too_long = "/" + std::string(kSunPath - 1, 'p');
  auto ok = Address::parse_unix("unix:" + fits);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->unix_path(), fits);
  EXPECT_EQ(ok->to_string(), "unix:" + fits);
  auto bad = Address::parse_unix("unix:" + too_long);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), ::testing::HasSubstr("longer than"));
  // An abstract name needs room for its leading NUL: 107 bytes fit, 108 do not.
  auto abstract_ok = Address::parse_unix("unix:@" + std::string(kSunPath - 1, 'a'));
  ASSERT_TRUE(abstract_ok.ok());
  EXPECT_EQ(abstract_ok->to_string(), "unix:@" + std::string(kSunPath - 1, 'a'));
  EXPECT_FALSE(Address::parse_unix("unix:@" + std::string(kSunPath, 'a')).ok());
  EXPECT_FALSE(Address::parse_unix("unix:" + std::string(300, 'p')).ok());
}

TEST(AddressUnix, IsUnixSpec) {
  EXPECT_TRUE(is_unix_spec("unix:/a"));
  EXPECT_TRUE(is_unix_spec("unix:"));
  EXPECT_FALSE(is_unix_spec("[::1]:1"));
  EXPECT_FALSE(is_unix_spec("/a"));
}

// ---- Ports ----

TEST(AddressPort, ParsePort) {
  EXPECT_EQ(*parse_port("0"), 0);
  EXPECT_EQ(*parse_port("10000"), 10000);
  EXPECT_EQ(*parse_port("65535"), 65535);
  for (const char* bad : {"65536", "-1", "", "12a", " 1", "+1", "1 ", "99999999999", "0x10"}) {
    auto p = parse_port(bad);
    EXPECT_FALSE(p.ok()) << "'" << bad << "'";
  }
  auto p = parse_port("65536");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), ::testing::HasSubstr("65536"));
}

TEST(AddressPort, SetPortAndPort) {
  Address v6 = Address::loopback(Family::v6, 1);
  v6.set_port(65535);
  EXPECT_EQ(v6.port(), 65535);
  EXPECT_EQ(v6.to_string(), "[::1]:65535");
  Address v4 = Address::any(Family::v4, 1);
  v4.set_port(10000);
  EXPECT_EQ(v4.port(), 10000);
  EXPECT_EQ(v4, *Address::parse("0.0.0.0:10000"));
  auto un = Address::parse_unix("unix:@name");
  ASSERT_TRUE(un.ok());
  const Address before = *un;
  un->set_port(10000);  // no port on a Unix address: a no-op
  EXPECT_EQ(un->port(), 0);
  EXPECT_EQ(*un, before);
}

// ---- Equality and raw sockaddrs ----

TEST(AddressEquality, SameValueSameAddress) {
  EXPECT_EQ(*Address::parse("[::1]:10000"), Address::loopback(Family::v6, 10000));
  EXPECT_EQ(*Address::parse("127.0.0.1:10000"), Address::loopback(Family::v4, 10000));
  EXPECT_EQ(*Address::parse("[::]:0"), Address::any(Family::v6, 0));
  EXPECT_EQ(*Address::parse_unix("unix:/tmp/x.sock"), *Address::parse("unix:/tmp/x.sock"));
}

TEST(AddressEquality, DifferentPortFamilyOrNameDiffer) {
  EXPECT_FALSE(Address::loopback(Family::v6, 1) == Address::loopback(Family::v6, 2));
  EXPECT_FALSE(Address::loopback(Family::v6, 1) == Address::loopback(Family::v4, 1));
  EXPECT_FALSE(*Address::parse("[::ffff:127.0.0.1]:1") == Address::loopback(Family::v4, 1));
  EXPECT_FALSE(*Address::parse_unix("unix:@a") == *Address::parse_unix("unix:@ab"));
  EXPECT_FALSE(*Address::parse_unix("unix:/a") == *Address::parse_unix("unix:@a"));
}

TEST(AddressRaw, FromSockaddrKeepsTheRealLengthAndClamps) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(4433);
  in6.sin6_addr = in6addr_loopback;
  const Address a =
      Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(sockaddr_in6));
  EXPECT_EQ(a.length(), sizeof(sockaddr_in6));
  EXPECT_EQ(a.to_string(), "[::1]:4433");

  // A length beyond the storage is clamped rather than copied past it.
  std::vector<std::byte> big(Address::capacity() + 64);
  std::memcpy(big.data(), &in6, sizeof in6);
  const Address clamped = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(big.data()),
                                                 static_cast<socklen_t>(big.size()));
  EXPECT_EQ(clamped.length(), Address::capacity());
  Address b = a;
  b.set_length(Address::capacity() + 1000);
  EXPECT_EQ(b.length(), Address::capacity());
}

}  // namespace
}  // namespace sockcalc

// The HTTP server's connection caps (hub/http_server.h ConnectionTable): per-address and total
// caps, and which connection gives way to a newcomer when the server is full.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/http_server.h"

namespace latchkey::hub {
namespace {

namespace asio = boost::asio;

struct Closed {
  std::vector<std::string> names;
  std::function<void()> For(std::string name) {
    return [this, name] { names.push_back(name); };
  }
};

TEST(ConnectionTableTest, KeysAnIpv6ClientByItsSlash64AndAMappedOneAsIpv4) {
  EXPECT_EQ(ConnectionKey(asio::ip::make_address("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ConnectionKey(asio::ip::make_address("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ConnectionKey(asio::ip::make_address("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionKey(asio::ip::make_address("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionKey(asio::ip::make_address("::1")), "::/64");
}

TEST(ConnectionTableTest, AnAddressOverItsCapIsRefused) {
  ConnectionTable table(10, 3);
  Closed closed;
  for (int i = 0; i < 3; ++i) EXPECT_NE(table.Admit("a", closed.For("a")), 0u);
  EXPECT_EQ(table.Admit("a", closed.For("a")), 0u);
  EXPECT_EQ(table.refused(), 1u);
  EXPECT_NE(table.Admit("b", closed.For("b")), 0u) << "another address is not held back";
  EXPECT_EQ(table.count("a"), 3u);
  EXPECT_EQ(table.total(), 4u);
  EXPECT_TRUE(closed.names.empty());
}

TEST(ConnectionTableTest, WhenFullTheOldestIdleConnectionOfTheHeaviestAddressGivesWay) {
  ConnectionTable table(6, 4);
  Closed closed;
  std::vector<ConnectionTable::Id> flood;
  for (int i = 0; i < 4; ++i) flood.push_back(table.Admit("flood", closed.For("flood" + std::to_string(i))));
  const ConnectionTable::Id b = table.Admit("b", closed.For("b"));
  const ConnectionTable::Id c = table.Admit("c", closed.For("c"));
  ASSERT_NE(b, 0u);
  ASSERT_NE(c, 0u);
  ASSERT_EQ(table.total(), 6u);
  // The first flood connection is handling a request: the next oldest idle one gives way.
  table.SetBusy(flood[0], true);
  const ConnectionTable::Id d = table.Admit("d", closed.For("d"));
  EXPECT_NE(d, 0u);
  EXPECT_EQ(closed.names, std::vector<std::string>{"flood1"});
  EXPECT_EQ(table.count("flood"), 3u);
  EXPECT_EQ(table.total(), 6u);
  EXPECT_EQ(table.evicted(), 1u);
  // Its session ends later and releases again: nothing changes.
  table.Release(flood[1]);
  EXPECT_EQ(table.total(), 6u);
  // The flood's own newcomers never push out others: it holds the most already.
  EXPECT_EQ(table.Admit("flood", closed.For("x")), 0u);
  // Until everyone holds one: then a newcomer from a new address takes the oldest idle one's place.
  EXPECT_NE(table.Admit("e", closed.For("e")), 0u);
  EXPECT_EQ(closed.names.back(), "flood2");
  EXPECT_NE(table.Admit("f", closed.For("f")), 0u);
  EXPECT_EQ(closed.names.back(), "flood3");
  EXPECT_EQ(table.count("flood"), 1u);  // the busy one
  // Now every address holds one connection: a second one from "b" is refused, and a new address
  // takes the place of the oldest idle connection (a keep-alive that a client simply reopens).
  EXPECT_EQ(table.Admit("b", closed.For("b2")), 0u);
  EXPECT_NE(table.Admit("g", closed.For("g")), 0u);
  EXPECT_EQ(closed.names.back(), "b");
  EXPECT_EQ(table.total(), 6u);
  EXPECT_EQ(table.count("flood"), 1u);
}

TEST(ConnectionTableTest, BusyConnectionsAreNeverEvicted) {
  ConnectionTable table(2, 2);
  Closed closed;
  const auto a1 = table.Admit("a", closed.For("a1"));
  const auto a2 = table.Admit("a", closed.For("a2"));
  table.SetBusy(a1, true);
  table.SetBusy(a2, true);
  EXPECT_EQ(table.Admit("b", closed.For("b")), 0u);
  EXPECT_TRUE(closed.names.empty());
  table.SetBusy(a2, false);
  EXPECT_NE(table.Admit("b", closed.For("b")), 0u);
  EXPECT_EQ(closed.names, std::vector<std::string>{"a2"});
  table.Release(a1);
  EXPECT_EQ(table.total(), 1u);
  EXPECT_EQ(table.count("a"), 0u);
}

}  // namespace
}  // namespace latchkey::hub

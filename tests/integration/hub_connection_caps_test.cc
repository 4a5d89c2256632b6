// The hub's HTTP server under a connection flood (hub/http_server.h): idle connections by the
// thousand, from many loopback source addresses (127.0.0.2 ...) so that the total cap is tested and
// not only the per-address one, do not keep a fresh client from /healthz; a flood from one address
// is held to that address's cap and does not stop another; a header sent a byte at a time is cut
// at its deadline; a hub out of file descriptors does not spin. The hub's own descriptor limit is
// set low (prlimit) so that the flood is bigger than what the hub can hold, whatever limit the
// test runner has.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "hub_harness.h"
#include "tls_harness.h"  // LatchkeyProcess
#include "wait.h"

namespace latchkey::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection to 127.0.0.1:`port` from `source`, not waiting for the connect to finish
// (a hub that does not accept leaves it in the listen backlog). -1 on failure.
int OpenFrom(const std::string& source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the other end has closed or reset the connection (a read gives 0 bytes or an error
// other than "nothing yet").
bool ClosedByHub(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return false;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINPROGRESS;
}

// Descriptors of the test's own, closed at the end.
struct Sockets {
  std::vector<int> fds;
  ~Sockets() {
    for (const int fd : fds) ::close(fd);
  }
  std::size_t Open() const {
    std::size_t n = 0;
    for (const int fd : fds) n += ClosedByHub(fd) ? 0 : 1;
    return n;
  }
};

// The CPU time the process has used (user + system).
std::chrono::milliseconds CpuTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stoll(field);
  }
  return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
}

class HubConnectionCaps : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test holds a few thousand sockets of its own.
    rlimit own{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
    if (own.rlim_max != RLIM_INFINITY && own.rlim_max < 4096) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << own.rlim_max;
    own.rlim_cur = std::max<rlim_t>(own.rlim_cur, 4096);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &own), 0);
    ASSERT_NO_FATAL_FAILURE(demo_.Start());
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << demo_.Log() << "\n";
  }

  // Sets the hub's descriptor limit (soft and hard) and reads it back.
  void LimitHubDescriptors(rlim_t n) {
    const rlimit limit{n, n};
    ASSERT_EQ(::prlimit(demo_.pid(), RLIMIT_NOFILE, &limit, nullptr), 0) << std::strerror(errno);
    rlimit now{};
    ASSERT_EQ(::prlimit(demo_.pid(), RLIMIT_NOFILE, nullptr, &now), 0);
    ASSERT_EQ(now.rlim_cur, n);
  }

  // `count` connections spread evenly over `addresses` source addresses 127.0.<k>.2 ...
  void Flood(Sockets& sockets, int count, int addresses) {
    for (int i = 0; i < count; ++i) {
      const int k = i % addresses;
      const std::string source = "127.0." + std::to_string(10 + k / 200) + "." + std::to_string(2 + k % 200);
      const int fd = OpenFrom(source, demo_.port());
      ASSERT_GE(fd, 0) << "connection " << i << " from " << source << ": " << std::strerror(errno);
      sockets.fds.push_back(fd);
    }
  }

  // GET /healthz on a fresh connection from `source`: its status (0: none) and how long it took.
  std::pair<int, std::chrono::milliseconds> Healthz(const std::string& source = "") {
    HttpOptions options;
    options.timeout = 3s;
    options.source_address = source;
    const auto start = Clock::now();
    const int status = HttpCall(demo_.port(), "GET", "/healthz", "", options).status;
    return {status, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)};
  }

  HubDemo demo_{1};
};

TEST_F(HubConnectionCaps, TwoThousandIdleConnectionsDoNotKeepAFreshClientFromHealthz) {
  // More than the hub can hold open, whatever the runner's limit: the flood must hit the caps.
  ASSERT_NO_FATAL_FAILURE(LimitHubDescriptors(1024));
  Sockets flood;
  const auto start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Flood(flood, 2000, 40));  // 50 per address: under the per-address cap
  std::this_thread::sleep_for(500ms);               // let the hub take them in

  for (int i = 0; i < 5; ++i) {
    const auto [status, took] = Healthz();
    EXPECT_EQ(status, 200) << "attempt " << i;
    EXPECT_LT(took, 1000ms) << "attempt " << i;
    std::cout << "healthz under a flood of 2000 idle connections: " << status << " in " << took.count() << " ms\n";
  }
  // The hub holds at most its total cap; the rest were closed at once.
  const std::size_t open = flood.Open();
  std::cout << "flood connections the hub holds: " << open << " of 2000\n";
  EXPECT_LE(open, 512u);
  // Idle connections do not stay: none sent a header, so all are closed by the header deadline.
  (void)latchkey::testing::WaitUntil([&] { return flood.Open() == 0; }, latchkey::testing::TimeLeft(start + 15s), 200ms);
  EXPECT_EQ(flood.Open(), 0u) << "idle connections outlived the 10 s header deadline";
  EXPECT_EQ(Healthz().first, 200);
}

TEST_F(HubConnectionCaps, AFloodFromOneAddressIsHeldToItsCapAndDoesNotStopAnother) {
  Sockets flood;
  ASSERT_NO_FATAL_FAILURE(Flood(flood, 300, 1));  // all from 127.0.10.2
  std::this_thread::sleep_for(500ms);
  const std::size_t open = flood.Open();
  std::cout << "connections from one address the hub holds: " << open << " of 300\n";
  EXPECT_EQ(open, 64u);
  // The flooding address gets no more; another is answered at once.
  EXPECT_EQ(Healthz("127.0.10.2").first, 0);
  const auto [status, took] = Healthz("127.0.20.3");
  EXPECT_EQ(status, 200);
  EXPECT_LT(took, 1000ms);
  EXPECT_EQ(Healthz().first, 200);
}

TEST_F(HubConnectionCaps, AHubOutOfDescriptorsDoesNotSpinAndStillAnswers) {
  // Fewer descriptors than the caps allow connections: accepting fails with EMFILE.
  ASSERT_NO_FATAL_FAILURE(LimitHubDescriptors(128));
  Sockets flood;
  ASSERT_NO_FATAL_FAILURE(Flood(flood, 600, 20));
  std::this_thread::sleep_for(500ms);
  const auto cpu_before = CpuTime(demo_.pid());
  const auto wall_before = Clock::now();
  std::this_thread::sleep_for(1000ms);
  const auto cpu = CpuTime(demo_.pid()) - cpu_before;
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - wall_before);
  std::cout << "hub CPU while out of descriptors: " << cpu.count() << " ms in " << wall.count() << " ms\n";
  EXPECT_LT(cpu * 4, wall) << "the accept loop spins";
  EXPECT_NE(demo_.Log().find("cannot accept connections (Too many open files)"), std::string::npos)
      << "the flood did not exhaust the hub's descriptors";
  for (int i = 0; i < 3; ++i) {
    const auto [status, took] = Healthz();
    EXPECT_EQ(status, 200) << "attempt " << i;
    EXPECT_LT(took, 1000ms) << "attempt " << i;
  }
}

TEST_F(HubConnectionCaps, AHeaderSentAByteAtATimeIsCutAtItsDeadline) {
  const int fd = OpenFrom("127.0.30.2", demo_.port());
  ASSERT_GE(fd, 0);
  Sockets own{{fd}};
  const auto start = Clock::now();
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::size_t sent = 0;
  bool closed = false;
  // One byte every 500 ms, for at most 15 s (header_timeout is 10 s).
  for (int i = 0; i < 30 && !closed; ++i) {
    const char c = sent < header.size() ? header[sent] : 'x';
    if (::send(fd, &c, 1, MSG_NOSIGNAL) == 1) ++sent;
    std::this_thread::sleep_for(500ms);
    closed = ClosedByHub(fd);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::cout << "a byte-at-a-time header was cut after " << took.count() << " ms (" << sent << " bytes)\n";
  EXPECT_TRUE(closed);
  EXPECT_GE(took, 9500ms);
  EXPECT_LE(took, 12000ms);
}

// The caps come from the configuration: a hub told to keep 2 per address keeps 2.
TEST(HubConnectionCapsConfig, TheCapsComeFromTheConfigFile) {
  LatchkeyProcess hub;
  const std::string config = hub.dir() + "/hub.toml";
  std::ofstream(config) << "http_max_connections = 10\nhttp_max_connections_per_address = 2\n";
  const uint16_t port = FreeLoopbackPort();
  hub.Spawn({"hub", "--data", hub.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port), "--config", config});
  int status = 0;
  (void)latchkey::testing::WaitUntil([&] { return (status = HttpCall(port, "GET", "/healthz").status) == 200; }, 10s, 50ms);
  ASSERT_EQ(status, 200) << hub.Log();
  Sockets held;
  for (int i = 0; i < 5; ++i) held.fds.push_back(OpenFrom("127.0.40.2", port));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(held.Open(), 2u) << hub.Log();

  // Out of range, or per address above the total: the start is refused.
  LatchkeyProcess bad;
  const std::string wrong = bad.dir() + "/hub.toml";
  std::ofstream(wrong) << "http_max_connections = 10\nhttp_max_connections_per_address = 20\n";
  bad.Spawn({"hub", "--data", bad.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(FreeLoopbackPort()), "--config",
             wrong});
  const auto exit_status = bad.WaitExit(20s);
  ASSERT_TRUE(exit_status.has_value()) << bad.Log();
  EXPECT_EQ(*exit_status, 2);
  EXPECT_NE(bad.Log().find("http_max_connections_per_address (20) is above http_max_connections (10)"), std::string::npos)
      << bad.Log();
}

}  // namespace
}  // namespace latchkey::testing

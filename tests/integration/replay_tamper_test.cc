// SECURITY.md, "The tests that show it", replay and tamper (ETSI EN 303 645 provision 5.5), and
// LINK.md, Security: recorded link frames replayed, truncated, reordered or bit-flipped are
// rejected and close the session, the lock does not move, and the paired hub can still connect
// and operate afterwards. The attacks come through raw TCP sockets on the lock's link port; the
// attacks inside a session use a Noise initiator built here with the paired hub's own static key,
// so that the session is as legitimate as the hub's and only the injected frame is at fault.
#include <poll.h>
#include <signal.h>

#include <random>

#include "crypto/noise_handshake.h"
#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "harness.h"
#include "link/channel.h"
#include "link/frame.h"
#include "link/message.h"
#include "wire/json_codec.h"

namespace latchkey::testing {
namespace {

namespace asio = boost::asio;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

// A blocking TCP connection to the lock's link port that speaks raw frames.
class RawConn {
 public:
  explicit RawConn(uint16_t port) : socket_(io_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(asio::ip::tcp::no_delay(true));
  }

  // Writes bytes as they are; false once the lock has closed the connection.
  bool Write(std::span<const uint8_t> bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  // Writes one frame with its 2-byte length prefix (link/frame.h).
  bool WriteFrame(std::span<const uint8_t> payload) { return Write(link::EncodeFrame(payload)); }

  // The next whole frame from the lock, or nullopt on timeout, close or a bad frame.
  std::optional<Bytes> ReadFrame(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      auto next = decoder_.Next();
      if (!next.ok()) return std::nullopt;
      if (next->has_value()) return std::move(**next);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || ReadSome(left) != kData) return std::nullopt;
    }
  }

  // Waits until the lock closes the connection (whatever it still sends is dropped).
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      ReadSome(left);
    }
    return true;
  }
  bool closed() const { return closed_; }

 private:
  enum Got { kData, kTimeout, kClosed };
  Got ReadSome(std::chrono::milliseconds timeout) {
    if (closed_) return kClosed;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return kTimeout;
    std::array<uint8_t, 4096> buffer{};
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec || n == 0) {
      closed_ = true;
      return kClosed;
    }
    decoder_.Feed(std::span(buffer.data(), n));
    return kData;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  link::FrameDecoder decoder_;
  bool closed_ = false;
};

crypto::HandshakeConfig XxInitiator(const crypto::NoiseKeypair& key) {
  crypto::HandshakeConfig config;
  config.pattern = crypto::NoisePattern::kXX;
  config.initiator = true;
  config.prologue = std::span(reinterpret_cast<const uint8_t*>(link::kPrologue.data()), link::kPrologue.size());
  config.s = key;
  return config;
}

// A paired hub's session, run by hand over a RawConn: the XX handshake with the hub's static
// key, hello both ways, then requests; every frame it writes can be kept back, cut or altered.
class RawSession {
 public:
  // Nullptr, with the reason in `why`, when the lock does not complete the session.
  static std::unique_ptr<RawSession> Open(uint16_t port, const crypto::NoiseKeypair& hub_key, uint64_t acked_seq,
                                          std::string* why) {
    const auto Failed = [why](const std::string& reason) {
      *why = reason;
      return std::unique_ptr<RawSession>();
    };
    auto session = std::unique_ptr<RawSession>(new RawSession(port));
    auto started = crypto::Handshake::Start(XxInitiator(hub_key));
    if (!started.ok()) return Failed("handshake start: " + started.status().message());
    crypto::Handshake handshake = std::move(started).value();
    auto m1 = handshake.WriteMessage({});
    if (!m1.ok() || !session->conn_.WriteFrame(*m1)) return Failed("cannot write message 1");
    auto m2 = session->conn_.ReadFrame(3s);
    if (!m2) return Failed("no message 2 from the lock");
    if (auto read = handshake.ReadMessage(*m2); !read.ok()) return Failed("message 2: " + read.status().message());
    auto m3 = handshake.WriteMessage({});
    if (!m3.ok() || !session->conn_.WriteFrame(*m3)) return Failed("cannot write message 3");
    auto split = handshake.Split();
    if (!split.ok()) return Failed("split: " + split.status().message());
    session->transport_.emplace(std::move(split).value());
    auto hello = session->Receive(3s);
    if (!hello || (*hello)["t"] != "hello") return Failed("the lock sent no hello");
    (void)session->Send(link::Hello("raw-hub", Json::object(), acked_seq, false));
    // A real request answered proves the session is a working one before anything is injected.
    const Json state = session->Call("get_state", Json::object());
    if (!state.value("ok", false)) return Failed("get_state in the raw session: " + state.dump());
    session->answers_.clear();
    return session;
  }

  // The next transport frame this session would send for `body` (its nonce is used up).
  Bytes Seal(const Json& body) {
    auto sealed = transport_->send.Encrypt({}, link::EncodeMessage(body));
    EXPECT_TRUE(sealed.ok());
    return sealed.ok() ? std::move(sealed).value() : Bytes{};
  }
  bool Send(const Json& body) { return conn_.WriteFrame(Seal(body)); }
  // The next message from the lock, or nullopt.
  std::optional<Json> Receive(std::chrono::milliseconds timeout) {
    auto frame = conn_.ReadFrame(timeout);
    if (!frame) return std::nullopt;
    auto plain = transport_->recv.Decrypt({}, *frame);
    if (!plain.ok()) return std::nullopt;
    auto message = link::DecodeMessage(*plain);
    if (!message.ok()) return std::nullopt;
    return message->body;
  }
  // A request and its answer (other messages are skipped).
  Json Call(const std::string& op, const Json& args) {
    const uint64_t id = next_id_++;
    if (!Send(link::Request(id, op, args))) return Json{{"ok", false}, {"why", "write failed"}};
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      auto message = Receive(5s);
      if (!message) break;
      answers_.push_back(*message);
      if ((*message)["t"] == "res" && (*message)["id"] == id) return *message;
    }
    return Json{{"ok", false}, {"why", "no answer"}};
  }
  // Reads (and keeps) what the lock still sends until it closes the connection.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!conn_.closed() && Clock::now() < deadline) {
      auto frame = conn_.ReadFrame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!frame) continue;
      if (auto plain = transport_->recv.Decrypt({}, *frame); plain.ok()) {
        if (auto message = link::DecodeMessage(*plain); message.ok()) answers_.push_back(message->body);
      }
    }
    return conn_.closed();
  }
  RawConn& conn() { return conn_; }
  // Every message received since the session was opened (the opening get_state not included).
  const std::vector<Json>& answers() const { return answers_; }
  uint64_t next_id() const { return next_id_; }

 private:
  explicit RawSession(uint16_t port) : conn_(port) {}

  RawConn conn_;
  std::optional<crypto::TransportPair> transport_;
  uint64_t next_id_ = 1;
  std::vector<Json> answers_;
};

bool IsOpening(const Json& e) {
  const std::string op = e.value("operation", "");
  return e["kind"] == "lock_operation" && (op == "unlock" || op == "unlatch");
}

class ReplayTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // writing to a socket the lock closed must not end the test
    lock_.Start();
    ASSERT_TRUE(hub_.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
    hub_.Disconnect();
    // Record a whole session of the paired hub: handshake, hello, a remote unlock, a lock.
    hub_.frame_tap = [this](std::span<const uint8_t> frame, bool outgoing) {
      std::lock_guard lock(mu_);
      (outgoing ? sent_ : received_).emplace_back(frame.begin(), frame.end());
    };
    ASSERT_TRUE(hub_.Connect(lock_.host(), lock_.link_port()));
    ASSERT_TRUE(hub_.WaitForSeq(LastSeq()));
    const std::size_t before = Sent().size();
    const Json unlocked = hub_.Request("unlock", HubLink::As({}));
    ASSERT_TRUE(unlocked["ok"].get<bool>()) << unlocked.dump();
    ASSERT_EQ(unlocked["result"]["lock_state"], "unlocked");
    ASSERT_GT(Sent().size(), before);
    unlock_frame_ = Sent()[before];
    // The frame right after a settled log is the request (an ack would be 28 bytes).
    ASSERT_GT(unlock_frame_.size(), 48u);
    const Json locked = hub_.Request("lock", HubLink::As({}));
    ASSERT_TRUE(locked["ok"].get<bool>()) << locked.dump();
    ASSERT_TRUE(hub_.WaitForSeq(LastSeq()));
    hub_.Disconnect();
    hub_.frame_tap = nullptr;
    ASSERT_GE(Sent().size(), 4u);  // message 1, message 3, hello, the unlock request, ...
    ASSERT_EQ(LockState(), "locked");
    openings_ = Openings();
    ASSERT_EQ(openings_, 1) << "the recorded session opened the lock once";
  }

  uint64_t LastSeq() { return SimHttp(lock_.sim_port(), "")["body"]["last_event_seq"].get<uint64_t>(); }
  std::string LockState() { return SimHttp(lock_.sim_port(), "")["body"]["lock_state"].get<std::string>(); }
  std::vector<Bytes> Sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }
  int Openings() const {
    int n = 0;
    for (const Json& e : hub_.events()) n += IsOpening(e) ? 1 : 0;
    return n;
  }
  // A raw session of the paired hub; the lock admits a few handshakes a second and backs off
  // after a failed one, so a refused attempt is tried again.
  std::unique_ptr<RawSession> OpenRawSession() {
    std::unique_ptr<RawSession> session;
    std::string why;
    for (int attempt = 0; attempt < 30 && !session; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(300ms);
      try {
        session = RawSession::Open(lock_.link_port(), hub_.key(), hub_.acked_seq(), &why);
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
    if (!session) ADD_FAILURE() << "no raw session: " << why;
    return session;
  }

  // The bolt did not move, and once the paired hub is back, its log shows no new opening, the
  // chain verifies, and the hub can operate the lock.
  void ExpectLockUnmovedAndHubStillWorks() {
    EXPECT_EQ(LockState(), "locked") << "the bolt moved";
    bool connected = false;
    const auto deadline = Clock::now() + 15s;
    while (!connected && Clock::now() < deadline) {
      connected = hub_.Connect(lock_.host(), lock_.link_port(), 6s);
      if (!connected) std::this_thread::sleep_for(300ms);
    }
    ASSERT_TRUE(connected) << "the paired hub cannot connect after the attack";
    const Json state = hub_.Request("get_state");
    ASSERT_TRUE(state["ok"].get<bool>()) << state.dump();
    EXPECT_EQ(state["result"]["lock_state"], "locked");
    const Json name = hub_.Request("set_settings", HubLink::As({{"settings", {{"name", "front door"}}}}));
    EXPECT_TRUE(name["ok"].get<bool>()) << name.dump();
    ASSERT_TRUE(hub_.WaitForSeq(LastSeq()));
    EXPECT_EQ(Openings(), openings_) << "an attack opened the lock";
    // The chain the hub holds still verifies from seq 1.
    crypto::InitSodium();
    const crypto::SodiumCrypto crypto(crypto::SecretKey{});
    std::vector<core::Event> events;
    for (const Json& e : hub_.events()) {
      auto event = wire::EventFromJson(e);
      ASSERT_TRUE(event.ok()) << e.dump();
      events.push_back(std::move(event).value());
    }
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front().seq, 1u);
    EXPECT_EQ(core::VerifyChain(crypto, core::Digest{}, events), std::nullopt);
    hub_.Disconnect();
  }

  TempDir dir_;
  LockProcess lock_{dir_.path() + "/lock", {"--motor-ms", "0"}};
  HubLink hub_;
  std::mutex mu_;
  std::vector<Bytes> sent_, received_;
  Bytes unlock_frame_;
  int openings_ = 0;

};

// LINK.md Security, replay: the hub's whole recorded session (handshake with its old ephemeral,
// hello, the unlock request) played back in order. The lock answers message 1 with a fresh
// ephemeral, so the old message 3 cannot decrypt: the handshake fails and the lock hangs up
// without reading a single transport frame; the bolt does not move.
TEST_F(ReplayTamperTest, ReplayedSessionWithAStaleEphemeralCannotComplete) {
  Bytes recorded_m2;
  {
    std::lock_guard lock(mu_);
    recorded_m2 = received_.at(0);
  }
  RawConn conn(lock_.link_port());
  for (const Bytes& frame : Sent()) {
    if (!conn.WriteFrame(frame)) break;
  }
  const auto fresh_m2 = conn.ReadFrame(3s);
  ASSERT_TRUE(fresh_m2.has_value()) << "the lock should answer message 1";
  EXPECT_NE(*fresh_m2, recorded_m2) << "the lock's message 2 must carry a fresh ephemeral";
  EXPECT_TRUE(conn.WaitClosed(2s)) << "the lock must close the replayed session";
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Security, replay: the recorded transport frame of the remote unlock, injected into a
// new and otherwise legitimate session of the paired hub, fails to decrypt (other keys) and the
// lock closes the connection; the bolt does not move.
TEST_F(ReplayTamperTest, RecordedUnlockFrameInANewSessionIsRejected) {
  auto session = OpenRawSession();
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->conn().WriteFrame(unlock_frame_));
  EXPECT_TRUE(session->WaitClosed(2s)) << "the lock must close the session on a frame that does not decrypt";
  for (const Json& m : session->answers()) EXPECT_NE(m["t"], "res") << "the lock answered the injected frame: " << m.dump();
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Security: "Noise's nonces order every message". Two frames of one session sent in the
// wrong order: the later one (a remote unlock) arrives first and fails at the nonce it was not
// sealed for, the lock closes the session, and neither request is carried out.
TEST_F(ReplayTamperTest, ReorderedFramesAreRejected) {
  auto session = OpenRawSession();
  ASSERT_NE(session, nullptr);
  const uint64_t id = session->next_id();
  const Bytes first = session->Seal(link::Request(id, "get_state", Json::object()));
  const Bytes second = session->Seal(link::Request(id + 1, "unlock", HubLink::As({})));
  ASSERT_TRUE(session->conn().WriteFrame(second));
  session->conn().WriteFrame(first);
  EXPECT_TRUE(session->WaitClosed(2s)) << "the lock must close the session on a frame out of order";
  for (const Json& m : session->answers()) EXPECT_NE(m["t"], "res") << "the lock answered a reordered frame: " << m.dump();
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Security, "any decryption failure closes the connection": a remote unlock frame cut
// short (its length prefix matching the shorter frame, so only the content is wrong).
TEST_F(ReplayTamperTest, TruncatedFrameIsRejected) {
  for (const std::size_t cut : {std::size_t{1}, std::size_t{16}}) {
    auto session = OpenRawSession();
    ASSERT_NE(session, nullptr);
    Bytes frame = session->Seal(link::Request(session->next_id(), "unlock", HubLink::As({})));
    ASSERT_GT(frame.size(), cut);
    frame.resize(frame.size() - cut);
    ASSERT_TRUE(session->conn().WriteFrame(frame));
    EXPECT_TRUE(session->WaitClosed(2s)) << "cut by " << cut;
    for (const Json& m : session->answers()) EXPECT_NE(m["t"], "res") << m.dump();
    EXPECT_EQ(LockState(), "locked");
  }
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Security, tamper: a remote unlock frame with one bit flipped (in the first byte, the
// middle, and the authentication tag) never reaches the lock's logic; the session closes.
TEST_F(ReplayTamperTest, BitFlippedFrameIsRejected) {
  for (const int where : {0, 1, 2}) {
    auto session = OpenRawSession();
    ASSERT_NE(session, nullptr);
    Bytes frame = session->Seal(link::Request(session->next_id(), "unlock", HubLink::As({})));
    const std::size_t at = where == 0 ? 0 : where == 1 ? frame.size() / 2 : frame.size() - 1;
    frame[at] ^= static_cast<uint8_t>(1u << (at % 8));
    ASSERT_TRUE(session->conn().WriteFrame(frame));
    EXPECT_TRUE(session->WaitClosed(2s)) << "bit flipped at byte " << at;
    for (const Json& m : session->answers()) EXPECT_NE(m["t"], "res") << m.dump();
    EXPECT_EQ(LockState(), "locked");
  }
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Limits, "a frame over 16 KiB closes the connection": a length prefix over the limit,
// before the handshake and inside a session. The lock hangs up at once (not at a timeout) and
// does not wait for the announced bytes.
TEST_F(ReplayTamperTest, OverLongLengthPrefixIsRejected) {
  {
    RawConn conn(lock_.link_port());
    Bytes bytes = {0x40, 0x01};  // 16385
    bytes.resize(2 + 1000, 0xAB);
    conn.Write(bytes);
    const auto start = Clock::now();
    EXPECT_TRUE(conn.WaitClosed(2s)) << "before the handshake";
    EXPECT_LT(Clock::now() - start, 1500ms);
  }
  auto session = OpenRawSession();
  ASSERT_NE(session, nullptr);
  Bytes bytes = {0xFF, 0xFF};
  bytes.resize(2 + 4000, 0x5A);
  session->conn().Write(bytes);
  EXPECT_TRUE(session->WaitClosed(2s)) << "inside a session";
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Security and Limits: bytes that are not a Noise handshake (an HTTP request; random
// bytes in well-formed frames) followed by a real handshake message never make a session; the
// lock closes the connection (at the latest at the 5 s handshake limit) and keeps serving.
TEST_F(ReplayTamperTest, GarbageBeforeTheHandshakeIsRejected) {
  crypto::InitSodium();
  auto real_m1 = [&] {
    auto started = crypto::Handshake::Start(XxInitiator(hub_.key()));
    EXPECT_TRUE(started.ok());
    crypto::Handshake handshake = std::move(started).value();
    auto m1 = handshake.WriteMessage({});
    EXPECT_TRUE(m1.ok());
    return std::move(m1).value();
  };
  {
    RawConn conn(lock_.link_port());
    const std::string http = "GET / HTTP/1.1\r\nHost: lock\r\n\r\n";
    conn.Write(std::span(reinterpret_cast<const uint8_t*>(http.data()), http.size()));
    conn.WriteFrame(real_m1());
    EXPECT_TRUE(conn.WaitClosed(6s)) << "an HTTP request on the link port";
  }
  std::this_thread::sleep_for(300ms);
  {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    RawConn conn(lock_.link_port());
    for (const std::size_t size : {std::size_t{48}, std::size_t{96}}) {
      Bytes garbage(size);
      for (auto& b : garbage) b = static_cast<uint8_t>(byte(rng));
      conn.WriteFrame(garbage);
    }
    conn.WriteFrame(real_m1());
    const auto start = Clock::now();
    EXPECT_TRUE(conn.WaitClosed(6s)) << "random frames before message 1";
    EXPECT_LT(Clock::now() - start, 6s);
  }
  ExpectLockUnmovedAndHubStillWorks();
}

// LINK.md Limits, "a handshake not finished in 5 s closes the connection": the first handshake
// frame cut mid-way, then silence. The lock must not wait for the rest forever.
TEST_F(ReplayTamperTest, FrameCutMidwayThenSilenceTimesOutTheHandshake) {
  const Bytes m1 = Sent().at(0);
  const Bytes framed = link::EncodeFrame(m1);
  RawConn conn(lock_.link_port());
  const auto start = Clock::now();
  ASSERT_TRUE(conn.Write(std::span(framed).first(framed.size() / 2)));
  EXPECT_FALSE(conn.WaitClosed(3500ms)) << "closed long before the handshake limit";
  EXPECT_TRUE(conn.WaitClosed(3000ms)) << "the lock must close a stalled handshake after 5 s";
  // The lock's clock starts at accept, a little after `start`: never early, ~6 s at most.
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 4500ms);
  EXPECT_LE(elapsed, 6500ms);
  ExpectLockUnmovedAndHubStillWorks();
}

}  // namespace
}  // namespace latchkey::testing

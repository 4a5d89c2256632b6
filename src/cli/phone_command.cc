// `latchkey phone ...`: the command line as a phone (PHONE-KEYS.md 3), with no hub needed at the
// door:
//   latchkey phone init                          make this phone's X25519 identity (once)
//   latchkey phone enroll [--lock ID|*] [--user N] [--account NAME] [--valid-for S] [--ops lock,unlock]
//                         [--auto]               get a certificate from the hub (and, for an admin,
//                                                the revocation list to carry to the locks)
//   latchkey phone keys                          the certificates this phone holds
//   latchkey phone unlock|lock|unlatch|status --at HOST:PORT [--lock ID]
//   latchkey phone unlock|lock|unlatch|status --ble [--ble-adapter hciN] [--ble-address AA:BB:..] [--lock ID]
//   latchkey phone arrive --at HOST:PORT|--ble ... [--lock ID]   unlock on arrival, with a fresh arrival token
// The phone's folder (--phone-dir, LATCHKEY_PHONE_DIR, else $XDG_CONFIG_HOME/latchkey/phone):
//   identity.key        the X25519 private key (0600)
//   keys/SERIAL.cert    certificates as the hub signed them (deterministic CBOR)
//   locks/HOST_PORT     the lock met at that address: "LOCK_ID KEY_HEX", pinned at the first
//                       session (XX) and used for IK afterwards; over BLE locks/BLE_AA_BB_CC_DD_EE_FF,
//                       by the lock's Bluetooth address
//   revocations         the newest signed revocation list (admins' phones), sent in every session
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/client_commands.h"
#include "cli/client_config.h"
#include "cli/phone_ble.h"
#include "cli/phone_client.h"
#include "cli/table.h"
#include "core/arrival_token.h"
#include "core/phone_key.h"
#include "crypto/base64.h"
#include "platform/time_format.h"
#include "store/secret_file.h"
#include "wire/json_codec.h"

namespace latchkey::cli {

namespace fs = std::filesystem;

namespace {

std::optional<std::vector<uint8_t>> ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const fs::path& path, std::span<const uint8_t> bytes) {
  const std::string text(bytes.begin(), bytes.end());
  if (const core::Status s = store::WriteFileAtomically(path.string(), text, 0600); !s.ok()) {
    throw std::runtime_error(s.message());
  }
}

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string OpsText(const core::PhoneOps& ops) {
  std::string out;
  for (const auto& [on, name] : {std::pair{ops.lock, "lock"}, {ops.unlock, "unlock"}, {ops.unlatch, "unlatch"}}) {
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  }
  return out;
}

struct PhoneFolder {
  fs::path dir;

  crypto::NoiseKeypair Identity() const {
    if (!fs::exists(dir / "identity.key")) throw UsageError("this phone has no identity yet: run `latchkey phone init`");
    auto secret = store::LoadOrCreateSecret((dir / "identity.key").string());
    if (!secret.ok()) throw std::runtime_error(secret.status().message());
    auto keypair = crypto::KeypairFromPrivate(*secret);
    if (!keypair.ok()) throw std::runtime_error(keypair.status().message());
    return std::move(keypair).value();
  }

  std::vector<std::pair<core::PhoneKeyCert, std::vector<uint8_t>>> Certificates() const {
    std::vector<std::pair<core::PhoneKeyCert, std::vector<uint8_t>>> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir / "keys", ec)) {
      auto bytes = ReadBytes(entry.path());
      if (!bytes) continue;
      auto cert = core::DecodePhoneKey(*bytes);
      if (cert.ok()) out.emplace_back(std::move(cert).value(), std::move(*bytes));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first.serial > b.first.serial; });
    return out;
  }

  fs::path PinPath(const std::string& address) const {
    std::string name = address;
    std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '.'; }, '_');
    return dir / "locks" / name;
  }

  // The lock met before at `address`: its id and static key.
  std::optional<std::pair<std::string, crypto::NoisePublicKey>> Pinned(const std::string& address) const {
    std::ifstream in(PinPath(address));
    std::string id, hex;
    if (!(in >> id >> hex)) return std::nullopt;
    crypto::NoisePublicKey key{};
    if (!wire::FromHex(hex, key)) return std::nullopt;
    return std::pair{id, key};
  }
};

}  // namespace

std::string ClientCommands::PhoneDir() const {
  if (!phone_dir_.empty()) return phone_dir_;
  const fs::path credentials(CredentialsPath());
  return (credentials.parent_path() / "phone").string();
}

void ClientCommands::RegisterPhone(CLI::App& app) {
  CLI::App* phone = app.add_subcommand("phone", "This computer as a phone at the door: phone keys over TCP or Bluetooth LE");
  phone->require_subcommand(1);
  const auto dir_option = [this](CLI::App* cmd) {
    cmd->add_option("--phone-dir", phone_dir_, "The phone's folder (default: the user's config folder)/phone")
        ->envname("LATCHKEY_PHONE_DIR");
    return cmd;
  };
  dir_option(Add(phone->add_subcommand("init", "Make this phone's identity (an X25519 key pair)"),
                 [this] { return PhoneInit(); }));
  CLI::App* enroll = dir_option(Add(phone->add_subcommand("enroll", "Get a phone key (certificate) from the hub"),
                                    [this] { return PhoneEnroll(); }));
  enroll->add_option("--lock", phone_lock_, "The lock's id, or * for every lock (default: the hub's choice)");
  enroll->add_option("--user", phone_user_, "The lock's user the key acts as (0: a key-only guest)");
  enroll->add_option("--account", phone_account_, "Issue for this account (owner and admins)");
  enroll->add_option("--valid-for", phone_valid_for_, "Seconds (default 86400)");
  enroll->add_option("--ops", phone_ops_, "lock, unlock, unlatch (default: the hub's)")->delimiter(',');
  enroll->add_flag("--auto", phone_auto_, "May unlock on arrival (PHONE-KEYS.md 4)");
  dir_option(Add(phone->add_subcommand("keys", "The phone keys this phone holds"), [this] { return PhoneKeys(); }));
  for (const std::string op : {"unlock", "lock", "unlatch", "status", "arrive"}) {
    const std::string help = op == "arrive" ? "Unlock on arrival, with a fresh arrival token"
                             : op == "status" ? "Read the lock's state"
                                              : "Ask the lock at the door to " + op;
    CLI::App* cmd = dir_option(Add(phone->add_subcommand(op, help), [this, op] { return PhoneAtDoor(op); }));
    CLI::Option* at = cmd->add_option("--at", phone_at_, "The lock's phone listener, HOST:PORT");
    CLI::Option* ble = cmd->add_flag("--ble", phone_ble_, "Over Bluetooth LE, as a central through BlueZ");
    at->excludes(ble);
    cmd->add_option("--ble-adapter", phone_ble_adapter_, "The Bluetooth adapter (hci0)")->needs(ble);
    cmd->add_option("--ble-address", phone_ble_address_, "The lock's Bluetooth address (default: the first found)")
        ->needs(ble);
    cmd->add_option("--lock", phone_lock_, "Use the key for this lock id (default: the lock met at --at or --ble)");
  }
}

int ClientCommands::PhoneInit() {
  const PhoneFolder folder{PhoneDir()};
  fs::create_directories(folder.dir / "keys");
  fs::create_directories(folder.dir / "locks");
  fs::permissions(folder.dir, fs::perms::owner_all, fs::perm_options::replace);
  const bool existed = fs::exists(folder.dir / "identity.key");
  auto secret = store::LoadOrCreateSecret((folder.dir / "identity.key").string());
  if (!secret.ok()) throw std::runtime_error(secret.status().message());
  const crypto::NoiseKeypair identity = folder.Identity();
  const std::string key = crypto::Base64Encode(identity.pub);
  if (json_) {
    PrintJson(Json{{"phone_public_key", key}, {"created", !existed}});
  } else {
    std::printf("%s phone key %s in %s\n", existed ? "Existing" : "New", key.c_str(), folder.dir.c_str());
  }
  return 0;
}

int ClientCommands::PhoneEnroll() {
  const PhoneFolder folder{PhoneDir()};
  const crypto::NoiseKeypair identity = folder.Identity();
  const ApiClient client = Connect();
  Json body{{"phone_public_key", crypto::Base64Encode(identity.pub)}};
  if (!phone_lock_.empty()) body["lock"] = phone_lock_;
  if (Given("--user")) body["user"] = phone_user_;
  if (!phone_account_.empty()) body["account"] = phone_account_;
  if (Given("--valid-for")) body["valid_for_s"] = phone_valid_for_;
  if (!phone_ops_.empty()) body["ops"] = phone_ops_;
  if (phone_auto_) body["auto"] = true;
  const Json issued = client.Post("/api/v1/phone-keys", body);
  const auto bytes = crypto::Base64Decode(JsonText(issued, "certificate", ""), core::kMaxPhoneKeyBytes);
  if (!bytes) throw std::runtime_error("the hub's answer has no certificate");
  auto cert = core::DecodePhoneKey(*bytes);
  if (!cert.ok()) throw std::runtime_error("the hub's certificate does not decode: " + cert.status().message());
  if (!core::ConstantTimeEqual(cert->phone, identity.pub)) throw std::runtime_error("the hub signed another phone's key");
  fs::create_directories(folder.dir / "keys");
  WriteBytes(folder.dir / "keys" / (std::to_string(cert->serial) + ".cert"), *bytes);
  // An owner's or admin's phone carries the revocation list to locks the hub cannot reach.
  bool carries = false;
  try {
    const Json list = client.Get("/api/v1/phone-keys/revocations");
    if (auto list_bytes = crypto::Base64Decode(JsonText(list, "list", ""), core::kMaxPhoneRevocationBytes)) {
      WriteBytes(folder.dir / "revocations", *list_bytes);
      carries = true;
    }
  } catch (const ApiError&) {
    // A member's or guest's phone carries none.
  }
  if (json_) {
    Json out = issued;
    out["carries_revocations"] = carries;
    PrintJson(out);
  } else {
    std::printf("Phone key %llu for %s, user %u, %s, until %s%s%s\n", static_cast<unsigned long long>(cert->serial),
                cert->lock.c_str(), cert->user, OpsText(cert->ops).c_str(),
                platform::FormatRfc3339Ms(cert->not_after * 1000).c_str(), cert->auto_unlock ? ", auto-unlock" : "",
                carries ? " (carries the revocation list)" : "");
  }
  return 0;
}

int ClientCommands::PhoneKeys() {
  const PhoneFolder folder{PhoneDir()};
  const auto certs = folder.Certificates();
  if (json_) {
    Json out = Json::array();
    for (const auto& [c, bytes] : certs) {
      out.push_back({{"serial", c.serial}, {"lock", c.lock}, {"user", c.user}, {"not_before", c.not_before},
                     {"not_after", c.not_after}, {"ops", OpsText(c.ops)}, {"auto", c.auto_unlock}, {"epoch", c.epoch},
                     {"expired", NowS() >= c.not_after}});
    }
    PrintJson(out);
    return 0;
  }
  if (certs.empty()) {
    std::printf("No phone keys in %s: run `latchkey phone enroll`.\n", folder.dir.c_str());
    return 0;
  }
  Table table({"SERIAL", "LOCK", "USER", "OPS", "AUTO", "UNTIL", "STATE"});
  for (const auto& [c, bytes] : certs) {
    table.Add({std::to_string(c.serial), c.lock, std::to_string(c.user), OpsText(c.ops), c.auto_unlock ? "yes" : "no",
               platform::FormatRfc3339Ms(c.not_after * 1000), NowS() >= c.not_after ? "expired" : "valid"});
  }
  table.Print();
  return 0;
}

int ClientCommands::PhoneAtDoor(const std::string& op_name) {
  if (!phone_ble_ && phone_at_.empty()) throw UsageError("say where the lock is: --at HOST:PORT or --ble");
  const PhoneFolder folder{PhoneDir()};
  link::PhoneConfig config;
  config.s = folder.Identity();
  // Connect first: over BLE the lock's address (its pin's name) is known only once it is found.
  // Finding and connecting over BLE can take a while (discovery, connection, services).
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + (phone_ble_ ? std::chrono::seconds(30) : std::chrono::seconds(15));
  std::unique_ptr<PhoneTransport> transport;
  std::string met_at = phone_at_;  // what the pin is named after
  if (phone_ble_) {
    auto ble = BlePhoneTransport::Connect(BleTarget{phone_ble_adapter_, phone_ble_address_}, deadline);
    if (!ble.ok()) throw std::runtime_error(ble.status().message());
    met_at = "BLE_" + (*ble)->address();
    transport = std::move(ble).value();
  } else {
    auto tcp = ConnectPhoneTcp(phone_at_, deadline);
    if (!tcp.ok()) {
      if (tcp.status().code() == core::Code::kInvalid) throw UsageError(tcp.status().message());
      throw std::runtime_error(tcp.status().message());
    }
    transport = std::move(tcp).value();
  }
  const auto pinned = folder.Pinned(met_at);
  const std::string want = !phone_lock_.empty() ? phone_lock_ : pinned ? pinned->first : std::string();
  // The newest valid key for that lock (or for every lock); without a lock to go by, the newest.
  const auto certs = folder.Certificates();
  const std::pair<core::PhoneKeyCert, std::vector<uint8_t>>* chosen = nullptr;
  for (const auto& entry : certs) {
    const auto& c = entry.first;
    if (NowS() >= c.not_after) continue;
    if (!want.empty() && c.lock != want && c.lock != core::kEveryLock) continue;
    chosen = &entry;
    break;
  }
  if (chosen == nullptr) throw UsageError("no valid phone key for " + (want.empty() ? "any lock" : want) + ": run `latchkey phone enroll`");
  config.cert = chosen->second;
  if (pinned) config.lock_key = pinned->second;
  config.revocations = ReadBytes(folder.dir / "revocations");
  const link::PhoneOp op = op_name == "lock"      ? link::PhoneOp::kLock
                           : op_name == "unlatch" ? link::PhoneOp::kUnlatch
                           : op_name == "status"  ? link::PhoneOp::kStatus
                                                  : link::PhoneOp::kUnlock;
  const core::PhoneKeyCert cert = chosen->first;
  const core::X25519PublicKey phone = config.s.pub;
  std::function<std::optional<std::vector<uint8_t>>(const std::string&)> arrival;
  if (op_name == "arrive") {
    // What a native app's geofence would mint on "arrived home": fresh, single use, this lock.
    arrival = [&cert, phone](const std::string& lock_id) -> std::optional<std::vector<uint8_t>> {
      core::ArrivalToken token;
      token.lock = lock_id;
      token.phone = phone;
      token.serial = cert.serial;
      token.issued_at = NowS();
      randombytes_buf(token.nonce.data(), token.nonce.size());
      return core::EncodeArrivalToken(token);
    };
  }
  auto outcome = RunPhoneSession(*transport, std::move(config), op, arrival, started, deadline);
  transport.reset();  // over BLE: disconnect now, so that the lock's session ends at once
  if (!outcome.ok()) {
    std::string message = outcome.status().message();
    if (pinned && outcome.status().code() == core::Code::kInvalid) {
      message += " (the lock pinned at " + met_at + " may have a new key: remove " +
                 folder.PinPath(met_at).string() + " to meet it again)";
    }
    throw std::runtime_error(message);
  }
  if (!pinned) {
    fs::create_directories(folder.dir / "locks");
    const std::string line = outcome->lock_id + " " + wire::ToHex(outcome->lock_key) + "\n";
    WriteBytes(folder.PinPath(met_at), std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
  }
  const link::PhoneResponse& res = outcome->res;
  const double ms = static_cast<double>(outcome->elapsed.count()) / 1000.0;
  if (json_) {
    Json out{{"ok", res.ok}, {"lock", outcome->lock_id}, {"serial", cert.serial},
             {"pattern", outcome->pattern == crypto::NoisePattern::kIK ? "IK" : "XX"}, {"elapsed_ms", ms}};
    if (res.result) {
      out["lock_state"] = std::string(core::ToString(res.result->lock_state));
      if (res.result->door_state) out["door_state"] = std::string(core::ToString(*res.result->door_state));
      if (res.result->battery_percent) out["battery_percent"] = *res.result->battery_percent;
    }
    if (res.error) {
      out["error"] = {{"code", res.error->code}};
      if (res.error->reason) out["error"]["reason"] = *res.error->reason;
    }
    PrintJson(out);
  } else if (res.ok && res.result) {
    std::printf("%s: %s (door %s) in %.1f ms\n", outcome->lock_id.c_str(),
                std::string(core::ToString(res.result->lock_state)).c_str(),
                res.result->door_state ? std::string(core::ToString(*res.result->door_state)).c_str() : "?", ms);
  } else if (res.error) {
    std::fprintf(stderr, "%s refused: %s%s%s\n", outcome->lock_id.c_str(), res.error->code.c_str(),
                 res.error->reason ? ": " : "", res.error->reason ? res.error->reason->c_str() : "");
  }
  return res.ok ? 0 : 1;
}

}  // namespace latchkey::cli

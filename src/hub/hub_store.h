// The hub's durable state (SQLite, WAL, synchronous=FULL): accounts, tokens (only their
// hashes), paired locks, the mirror of every lock's event log, webhooks and their deliveries,
// the phone keys the hub issued with their revocation list, and Web Push subscriptions.
// An event is written before the hub acknowledges it to the lock, in the same transaction that
// moves the lock's acked_seq (one transaction per `events` message of the link), so the mirror
// never misses or repeats one.
//
// The class is the one entry point; its code is one file per table (hub_store_accounts.cc,
// hub_store_tokens.cc, hub_store_locks.cc, hub_store_events.cc, hub_store_webhooks.cc,
// hub_store_deliveries.cc, hub_store_phone_keys.cc, hub_store_offline_codes.cc,
// hub_store_push.cc), the schema and Open in hub_store.cc.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/offline_code.h"
#include "core/phone_key.h"
#include "core/status.h"
#include "store/sqlite_db.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

using Json = nlohmann::json;
using TokenHash = std::array<uint8_t, 32>;

struct Account {
  std::string username;
  std::string password_hash;                      // Argon2id, libsodium's encoded form
  std::string role;                               // owner, admin, member, guest
  std::optional<std::vector<std::string>> locks;  // absent: every lock
  std::optional<int64_t> valid_from_ms, valid_until_ms;
  int64_t created_at_ms = 0;
};

struct TokenRecord {
  std::string id;
  std::string username;
  std::string kind;  // "session" or "api"
  std::string name;
  std::optional<std::string> role;                // an API token's narrower role
  std::optional<std::vector<std::string>> locks;  // an API token's narrower lock list
  std::optional<int64_t> expires_at_ms;
  int64_t created_at_ms = 0;
  // The API token this one was made with (absent: made by a login session, i.e. by the account
  // itself). Deleting a token deletes its children, and theirs (SECURITY.md "No privilege grows
  // by delegation": a child dies with its parent).
  std::optional<std::string> parent;
};

struct LockRecord {
  std::string id;
  std::string name;
  std::string address;            // HOST:PORT of its link
  std::array<uint8_t, 32> key{};  // its pinned static key
  bool simulated = false;
  std::string sim_control_url;
  uint64_t acked_seq = 0;
  Json state = Json::object();  // the last state the lock pushed
  int64_t created_at_ms = 0;
};

struct Webhook {
  std::string id;
  std::string url;
  std::optional<std::vector<std::string>> kinds;
  std::string secret;
  int64_t created_at_ms = 0;
};

// One delivery of one mirrored event (lock, seq) to one webhook, and how far it has got.
struct Delivery {
  std::string id;
  std::string webhook;
  std::string lock;
  uint64_t seq = 0;
  std::string status = "pending";  // "pending", "delivered" or "failed" (given up)
  uint32_t attempts = 0;
  int64_t next_attempt_ms = 0;  // when a pending delivery is due
  std::string last_error;       // why the last attempt failed; empty when none did
  int64_t created_at_ms = 0;
};

// A phone key the hub issued (PHONE-KEYS.md 1; docs/phone-keys.md): the certificate as signed,
// its fields for the API, who it is for and whether it was revoked. Kept after it expires for a
// while (HubStore::DeletePhoneKeysExpiredBefore), never reused: serials only grow.
struct PhoneKeyRecord {
  uint64_t serial = 0;
  std::string account;         // the account it belongs to
  std::string lock;            // a lock id, or "*" for every lock
  uint32_t user = 0;           // the lock's user index it acts as; 0: a certificate-only guest
  core::X25519PublicKey phone{};
  int64_t not_before_s = 0;    // Unix seconds, as in the certificate
  int64_t not_after_s = 0;
  core::PhoneOps ops;
  bool auto_unlock = false;
  uint32_t epoch = 0;
  std::string issued_by;       // the account that asked for it
  int64_t issued_at_ms = 0;
  std::optional<int64_t> revoked_at_ms;
  // The revocation list version that first carried the revocation (or the epoch that ended the
  // key): a lock that applied this version refuses the key. 0 for a key revoked after it had
  // expired, which no list needs to name.
  std::optional<uint64_t> revoked_version;
  std::vector<uint8_t> certificate;  // EncodePhoneKey, signed
};

// The hub's revocation list as last signed (core/phone_revocations.h without its signature,
// which the home key makes again whenever the list is sent: so a new home key needs no change
// here).
struct PhoneRevocationState {
  uint32_t epoch = 0;
  uint64_t version = 0;
  std::vector<uint64_t> revoked;  // ascending
  friend bool operator==(const PhoneRevocationState&, const PhoneRevocationState&) = default;
};

// One change of revocations, written whole or not at all.
struct PhoneRevocationChange {
  std::vector<uint64_t> serials;        // keys to mark revoked (a key already revoked keeps its mark)
  std::optional<uint32_t> below_epoch;  // and every key not yet revoked of an epoch below this
  int64_t at_ms = 0;
  uint64_t carried_by = 0;              // their revoked_version
  // The new list; its version must be above the stored one. None: the list does not change
  // (a key revoked after it expired).
  std::optional<PhoneRevocationState> list;
};

// What a paired lock answered last about its phone keys (link::PhoneKeysAnswer).
struct LockPhoneKeys {
  std::string lock;
  bool home_key = false;            // it holds a home key (this hub's: the hub gave it)
  uint64_t revocations_version = 0;  // the newest list it applied
  uint32_t min_epoch = 0;
  uint64_t revoked = 0;             // serials on its list
  int64_t updated_at_ms = 0;
};

// What a lock last answered about its offline codes (link::OfflineCodesAnswer).
struct OfflineCodesApplied {
  bool key = false;                  // it holds an offline-code key
  int64_t epoch_s = 0;               // the key's reference epoch (Unix seconds)
  uint32_t generation = 0;           // the newest generation it knows
  uint64_t revocations_version = 0;  // the newest revocation list it applied
  int64_t at_ms = 0;                 // when it answered
  friend bool operator==(const OfflineCodesApplied&, const OfflineCodesApplied&) = default;
};

// A lock's offline-code key (OFFLINE-CODES.md; docs/offline-codes.md), made by the hub the first
// time it needs one, and the hub's side of the lock's state: the generation new codes are issued
// under and the version of the revocation list. A secret: never returned by the API, never logged.
struct OfflineCodeKey {
  std::string lock;
  std::array<uint8_t, 32> key{};
  int64_t epoch_s = 0;  // the hour boundary at or before the key was made (a multiple of 3600)
  uint32_t generation = 0;
  uint64_t revocations_version = 0;
  std::optional<OfflineCodesApplied> applied;  // none: the lock never answered
  int64_t created_at_ms = 0;
};

// One offline code the hub issued for a lock.
struct OfflineCodeRecord {
  std::string id;
  std::string lock;
  std::string plaintext;  // the 12 digits before FF1 (core/offline_code.h): what a revocation names
  std::string code;       // the 12 digits typed at the door
  core::OfflineCodeType type = core::OfflineCodeType::kWindow;
  uint32_t start_hour = 0;      // hours since the key's epoch
  uint16_t duration_hours = 1;
  int64_t starts_at_ms = 0;     // epoch + start_hour h
  int64_t ends_at_ms = 0;       // starts_at + duration_hours h
  std::string name;
  std::string created_by;       // the account that asked for it
  int64_t created_at_ms = 0;
  uint32_t generation = 0;      // the generation its check digits are of
  std::optional<int64_t> revoked_at_ms;
  // With revoked_at: the revocation list version that first names it; 0 when no list needs to
  // (its window had ended).
  std::optional<uint64_t> revoked_version;
  std::optional<int64_t> cleared_at_ms;  // a newer generation began (a clear code)
  std::optional<int64_t> used_at_ms;     // the first use the lock reported
};

// One change of a lock's offline codes, written whole or not at all.
struct OfflineCodeChange {
  std::string lock;
  int64_t at_ms = 0;
  std::optional<OfflineCodeRecord> add;  // a new code (kDuplicate for a taken id)
  // Codes to mark revoked, each with its revoked_version (a code already revoked keeps its mark).
  std::vector<std::pair<std::string, uint64_t>> revoke;
  // A new generation: it must be above the stored one; every code of a lower generation not
  // yet cleared is marked cleared.
  std::optional<uint32_t> generation;
  // A new revocation list version: it must be above the stored one.
  std::optional<uint64_t> revocations_version;
};

// A Web Push subscription (NOTIFICATIONS.md; docs/notifications.md): where one browser of one
// account receives push messages, and the keys they are encrypted to.
struct PushSubscription {
  std::string id;
  std::string account;
  std::string endpoint;              // the https:// URL of the browser's push service
  std::array<uint8_t, 65> p256dh{};  // the browser's P-256 public key, an uncompressed point
  std::array<uint8_t, 16> auth{};    // its authentication secret
  std::string name;
  int64_t created_at_ms = 0;
  std::string last_error;  // why the last attempt to it failed; empty once one succeeded
};

// An account with Web Push subscriptions, as the notifier decides for it.
struct PushRecipient {
  Account account;
  Json settings;                           // as stored; null: never set (the defaults)
  std::vector<std::string> subscriptions;  // their ids
};

// One push message queued for one subscription, and how far it has got.
struct PushDelivery {
  uint64_t id = 0;       // given by the store, increasing: the order of the subscription's queue
  std::string subscription;
  std::string source;    // what it is about, unique per subscription: "<lock>:<seq>", "<lock>:offline:<ms>"
  std::string payload;   // the JSON text the browser receives (encrypted at each attempt)
  std::string urgency;   // "high" or "normal" (RFC 8030 Urgency)
  int64_t ttl_s = 0;     // RFC 8030 TTL
  std::string status = "pending";  // "pending", "delivered" or "failed" (given up)
  uint32_t attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t created_at_ms = 0;
};

// An event as the mirror stores it, decoded and checked once (HubStore::DecodeEvent): what its
// row keeps besides the body, and the body's JSON text.
struct DecodedEvent {
  wire::EventEnvelope envelope;
  std::string body;
};

// An event as stored: its lock, its seq and its body's JSON text, not parsed (for a caller that
// keeps what it made of a body; an event never changes once stored).
struct StoredEvent {
  std::string lock;
  uint64_t seq = 0;
  std::string body;
};

struct EventQuery {
  std::string lock;
  uint64_t after = 0;
  std::size_t limit = 100;
  std::optional<std::string> kind;
  std::optional<uint32_t> user;
};

// Where a newest-first walk through history stands: the last event a page returned.
struct EventCursor {
  int64_t time_ms = 0;
  uint64_t seq = 0;
  std::string lock;
};

struct RecentEventQuery {
  std::vector<std::string> locks;
  int64_t before_ms = 0;               // only events with an earlier time (0: no bound)
  std::optional<EventCursor> before;   // only events after this one in the walk
  std::size_t limit = 100;
  std::optional<std::string> kind;     // only events of this kind
  std::optional<uint32_t> user;        // only events of this user slot (of any of `locks`)
  std::optional<std::string> actor;    // only events whose actor is this account
};

// Every call returns a core::Status and never throws: kInvalid for bad input (nothing is
// written), kNotFound for a row to change or delete that does not exist, kIoError for a failed
// read or write (and for a stored row that cannot be read back). Like the Database under it, a
// HubStore is used from one thread at a time.
class HubStore {
 public:
  static core::Result<std::unique_ptr<HubStore>> Open(const std::string& path);

  // The schema steps (for tests): step i turns version i into version i + 1.
  static std::span<const std::string_view> SchemaSteps();

  // Put*: inserts the record, or updates the one with the same key in place (an account keeps
  // its tokens, a lock its events).
  core::Status PutAccount(const Account& account);
  core::Result<std::optional<Account>> GetAccount(const std::string& username);
  core::Result<std::vector<Account>> ListAccounts();
  core::Status DeleteAccount(const std::string& username);  // with its tokens

  // The account must exist (kNotFound); a hash already stored for another token is kDuplicate;
  // a parent that is not a token of the same account is kNotFound.
  core::Status PutToken(const TokenRecord& token, const TokenHash& hash);
  core::Result<std::optional<TokenRecord>> FindToken(const TokenHash& hash);
  core::Result<std::optional<TokenRecord>> GetToken(const std::string& id);
  core::Result<std::vector<TokenRecord>> ListTokens(const std::string& username);
  // With the token's children, and theirs.
  core::Status DeleteToken(const std::string& id);
  // Every token of the account but `keep` (empty: none kept), children included (a changed
  // password ends what the old one made). Not finding any is a success.
  core::Status DeleteTokensOf(const std::string& username, const std::string& keep = "");

  // Updating a lock never moves its acked_seq back (the larger of the stored and given one).
  core::Status PutLock(const LockRecord& lock);
  // The lock with this id, or none.
  core::Result<std::optional<LockRecord>> GetLock(const std::string& id);
  core::Result<std::vector<LockRecord>> ListLocks();
  core::Status DeleteLock(const std::string& id);  // with its mirrored events
  core::Status SetLockState(const std::string& id, const Json& state);

  // Whether AppendEvent would take `event` (a lock's event, JSON form of src/wire): an object
  // with "seq" (an integer 1..2^63-1), "kind" (a string), "time" (an integer) and, if present,
  // "user" (0..2^32-1 or "all"), that can be stored as JSON text; otherwise kInvalid.
  static core::Status CheckEvent(const Json& event);
  // CheckEvent that keeps what it read, for AppendEvents: each event is decoded once.
  static core::Result<DecodedEvent> DecodeEvent(const Json& event);
  // Stores `event` and sets the lock's acked_seq to its seq. An event already stored is a
  // success that changes nothing. An event CheckEvent refuses is kInvalid, an unknown lock
  // kNotFound.
  core::Status AppendEvent(const std::string& lock, const Json& event);
  // AppendEvent for every event of `events` (one `events` message of the link) in one durable
  // transaction, all or nothing: a synchronous commit per batch instead of one per event is
  // what lets the hub keep up with a lock's backlog. The lock's acked_seq becomes the largest
  // seq among them (never less than it was). One refused event (kInvalid, its position in the
  // message) refuses the batch before anything is written.
  core::Status AppendEvents(const std::string& lock, std::span<const Json> events);
  // The same for events DecodeEvent took (an event of seq 0 or above 2^63-1 is kInvalid).
  core::Status AppendEvents(const std::string& lock, std::span<const DecodedEvent> events);
  // Events of query.lock with seq > after in seq order, at most min(limit, 1000) of them. Every
  // event returned here and below is the stored one plus "lock": its lock's id.
  core::Result<std::vector<Json>> Events(const EventQuery& query);
  // The same rows, their bodies as stored.
  core::Result<std::vector<StoredEvent>> EventRows(const EventQuery& query);
  // A stored row as the event the methods above return: the body plus "lock"; kIoError for a
  // body that is not a JSON object or whose seq is not the row's.
  static core::Result<Json> ParseStoredEvent(std::string_view lock, int64_t seq, std::string_view body_text);
  // Newest first across query.locks, ordered by time, then seq, then lock id, all descending;
  // at most min(limit, 1000) events.
  core::Result<std::vector<Json>> RecentEvents(const RecentEventQuery& query);
  // The statement RecentEvents runs for `query` (parameters unbound), for a test to read its
  // query plan.
  static std::string RecentEventsSql(const RecentEventQuery& query);
  // Every event of a lock in seq order. Its memory grows with the log: the chain check reads
  // Events() page by page instead.
  core::Result<std::vector<Json>> AllEvents(const std::string& lock);

  core::Status PutWebhook(const Webhook& webhook);
  core::Result<std::vector<Webhook>> ListWebhooks();
  core::Status DeleteWebhook(const std::string& id);  // with its deliveries

  // A new delivery; its webhook and the event (lock, seq) must be stored (kNotFound otherwise).
  // One already stored with the same id, or for the same webhook and event, is a success that
  // changes nothing, so that queueing an event again after a restart is harmless.
  core::Status PutDelivery(const Delivery& delivery);
  // Records an attempt: the status, attempts, next_attempt_ms and last_error of `delivery.id`.
  core::Status UpdateDelivery(const Delivery& delivery);
  // A webhook's deliveries, newest first (at most min(limit, 1000)).
  core::Result<std::vector<Delivery>> ListDeliveries(const std::string& webhook, std::size_t limit = 100);
  // Pending deliveries in queue order, for the sender to load a page at a time (at most
  // min(limit, 1000)): every (webhook, lock) queue's first delivery by seq (the oldest of those
  // first), then every queue's second, and so on. So a page holds the start of each queue it touches,
  // whatever the next attempts (a retried front is due after the deliveries behind it).
  core::Result<std::vector<Delivery>> PendingDeliveries(std::size_t limit = 1000);

  // Phone keys (hub_store_phone_keys.cc). A new serial, never handed out before (also when the
  // key is then not stored): serials are unique per hub and increasing.
  core::Result<uint64_t> NextPhoneKeySerial();
  // Stores a new key; a serial already stored is kDuplicate.
  core::Status PutPhoneKey(const PhoneKeyRecord& key);
  core::Result<std::optional<PhoneKeyRecord>> GetPhoneKey(uint64_t serial);
  // By serial; only `account`'s when given.
  core::Result<std::vector<PhoneKeyRecord>> ListPhoneKeys(const std::optional<std::string>& account = std::nullopt);
  // Keys whose not_after is before `before_s` (long expired: no lock accepts them, no list
  // names them).
  core::Status DeletePhoneKeysExpiredBefore(int64_t before_s);
  core::Result<PhoneRevocationState> GetPhoneRevocations();
  // Marks the keys and stores the new list in one transaction; a list whose version is not
  // above the stored one is kInvalid and nothing is written.
  core::Status CommitPhoneRevocations(const PhoneRevocationChange& change);
  // What the lock answered; the lock must be paired (kNotFound). Unpairing forgets it.
  core::Status PutLockPhoneKeys(const LockPhoneKeys& state);
  core::Result<std::vector<LockPhoneKeys>> ListLockPhoneKeys();

  // Offline codes (hub_store_offline_codes.cc); a lock's key and codes go with the lock.
  // The lock's key row, or none.
  core::Result<std::optional<OfflineCodeKey>> GetOfflineCodeKey(const std::string& lock);
  // Stores `key` unless the lock has one already; the stored one either way. The lock must be
  // paired (kNotFound); an epoch that is not a positive multiple of 3600 is kInvalid.
  core::Result<OfflineCodeKey> EnsureOfflineCodeKey(const OfflineCodeKey& key);
  // Records the lock's answer; a lock without a key row is kNotFound.
  core::Status PutOfflineCodesApplied(const std::string& lock, const OfflineCodesApplied& applied);
  // Applies `change` in one transaction (the lock must have a key row: kNotFound); a generation
  // or version that does not rise is kInvalid and nothing is written.
  core::Status CommitOfflineCodeChange(const OfflineCodeChange& change);
  core::Result<std::optional<OfflineCodeRecord>> GetOfflineCode(const std::string& lock, const std::string& id);
  // A lock's codes, newest first.
  core::Result<std::vector<OfflineCodeRecord>> ListOfflineCodes(const std::string& lock);
  // Sets used_at of a code that has none; false when it had one already (or is gone).
  core::Result<bool> MarkOfflineCodeUsed(const std::string& lock, const std::string& id, int64_t at_ms);
  // Codes whose windows ended before `before_ms` (no lock accepts them, no list names them).
  core::Status DeleteOfflineCodesEndedBefore(const std::string& lock, int64_t before_ms);

  // Web Push (hub_store_push.cc). A subscription belongs to an account (deleting the account
  // deletes its subscriptions, settings and their deliveries); (account, endpoint) is unique:
  // putting one whose account already has its endpoint updates that one's keys and name (it
  // keeps its id, creation time and queue). The stored subscription; kNotFound for no account.
  core::Result<PushSubscription> PutPushSubscription(const PushSubscription& subscription);
  core::Result<std::vector<PushSubscription>> ListPushSubscriptions(const std::string& account);
  core::Result<std::optional<PushSubscription>> GetPushSubscription(const std::string& id);
  core::Status DeletePushSubscription(const std::string& id);  // with its deliveries
  // Records the last attempt's outcome ("" after a success); a subscription gone is no error.
  core::Status SetPushSubscriptionError(const std::string& id, const std::string& last_error);
  // An account's notification settings as stored (null: never set); kNotFound for no account.
  core::Result<Json> GetNotificationSettings(const std::string& account);
  core::Status PutNotificationSettings(const std::string& account, const Json& settings);
  // Every account with at least one subscription, with its settings and subscriptions.
  core::Result<std::vector<PushRecipient>> ListPushRecipients();
  // New deliveries in one durable transaction (their ids are ignored); one whose subscription
  // already has its source, or whose subscription is gone, is skipped. Those stored, with ids.
  core::Result<std::vector<PushDelivery>> AddPushDeliveries(std::span<const PushDelivery> deliveries);
  // Records an attempt: status, attempts and next_attempt_ms of `delivery.id`.
  core::Status UpdatePushDelivery(const PushDelivery& delivery);
  core::Result<std::optional<PushDelivery>> GetPushDelivery(uint64_t id);
  // Pending deliveries in queue order (id), at most min(limit, 1000).
  core::Result<std::vector<PushDelivery>> PendingPushDeliveries(std::size_t limit = 1000);
  // Delivered and given-up deliveries created before `created_before_ms`.
  core::Status DeleteFinishedPushDeliveries(int64_t created_before_ms);

  // The connection, for tests and diagnostics.
  store::Database& database() { return *db_; }

 private:
  explicit HubStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<store::Database> db_;
};

}  // namespace latchkey::hub

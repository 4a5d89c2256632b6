// HubStore: the schema and its migrations, and opening the store. Each table's code is in a
// file of its own (hub_store_accounts.cc, _tokens, _locks, _events, _webhooks, _deliveries,
// _phone_keys, _offline_codes, _push), over the one-call queries of store/sqlite_query.h; the
// steps of versions 4 and 5 are there too.
#include "hub/hub_store.h"

#include <array>
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

// Version 1. STRICT makes SQLite enforce the column types; JSON columns are checked to be JSON.
// Foreign keys (on in every connection the store layer opens) carry the deletions: an account
// takes its tokens, a lock its mirrored events, an event or a webhook its deliveries.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE accounts(
  username TEXT NOT NULL PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  locks TEXT CHECK (locks IS NULL OR json_valid(locks)),
  valid_from INTEGER,
  valid_until INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE tokens(
  id TEXT NOT NULL PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
  username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT,
  locks TEXT CHECK (locks IS NULL OR json_valid(locks)),
  expires_at INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_by_username ON tokens(username);
CREATE TABLE locks(
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  lock_key BLOB NOT NULL CHECK (length(lock_key) = 32),
  simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  sim_control_url TEXT NOT NULL,
  acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0),
  state TEXT NOT NULL CHECK (json_valid(state)),
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE events(
  lock TEXT NOT NULL REFERENCES locks(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  user INTEGER,
  body TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (lock, seq)
) WITHOUT ROWID, STRICT;
CREATE INDEX events_by_kind ON events(lock, kind);
CREATE INDEX events_by_time ON events(time, seq);
CREATE TABLE webhooks(
  id TEXT NOT NULL PRIMARY KEY,
  url TEXT NOT NULL,
  kinds TEXT CHECK (kinds IS NULL OR json_valid(kinds)),
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE deliveries(
  id TEXT NOT NULL PRIMARY KEY,
  webhook TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  lock TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (webhook, lock, seq),
  FOREIGN KEY (lock, seq) REFERENCES events(lock, seq) ON DELETE CASCADE
) STRICT;
CREATE INDEX deliveries_by_event ON deliveries(lock, seq);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt);
)sql";

// Version 2 (issue 9).
// - tokens.parent: the API token a token was made with. The cascade makes revoking a token
//   revoke what was made with it (a child dies with its parent); expiry needs no cascade, since
//   a child never expires later than its parent (api_auth.cc) and Directory::PrincipalOf checks the
//   chain anyway.
// - events_by_actor: GET /events?actor= walks one account's events newest first instead of
//   scanning the table. Its entries are (actor, time, seq) plus the key's lock, which is the
//   order RecentEvents reads in.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE tokens ADD COLUMN parent TEXT REFERENCES tokens(id) ON DELETE CASCADE;
CREATE INDEX tokens_by_parent ON tokens(parent);
CREATE INDEX events_by_actor ON events(json_extract(body, '$.actor'), time, seq);
)sql";

// Version 3: phone keys (PHONE-KEYS.md; docs/phone-keys.md "Issuing and revoking (hub)").
// - phone_keys: every certificate the hub signed. No foreign key to accounts: deleting an
//   account revokes its keys (the hub does), and a revoked key must stay on record until it
//   expires, or the next list would leave it out and the locks would accept it again.
// - phone_key_meta (one row): the next serial, and the revocation list as last signed (epoch,
//   version and serials; the signature is made again at each send).
// - lock_phone_keys: what each paired lock last answered about its home key and list (how far
//   the revocations reached it); gone with the lock.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE phone_keys(
  serial INTEGER NOT NULL PRIMARY KEY CHECK (serial >= 1),
  account TEXT NOT NULL,
  lock TEXT NOT NULL,
  user INTEGER NOT NULL CHECK (user BETWEEN 0 AND 65535),
  phone BLOB NOT NULL CHECK (length(phone) = 32),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  ops TEXT NOT NULL CHECK (json_valid(ops)),
  auto INTEGER NOT NULL CHECK (auto IN (0, 1)),
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  issued_by TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_version INTEGER CHECK (revoked_version >= 0),
  certificate BLOB NOT NULL,
  CHECK (not_before < not_after),
  CHECK ((revoked_at IS NULL) = (revoked_version IS NULL))
) STRICT;
CREATE INDEX phone_keys_by_account ON phone_keys(account);
CREATE TABLE phone_key_meta(
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  next_serial INTEGER NOT NULL CHECK (next_serial >= 1),
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  revocations_version INTEGER NOT NULL CHECK (revocations_version >= 0),
  revoked TEXT NOT NULL CHECK (json_valid(revoked))
) STRICT;
INSERT INTO phone_key_meta(id, next_serial, epoch, revocations_version, revoked) VALUES (1, 1, 0, 0, '[]');
CREATE TABLE lock_phone_keys(
  lock TEXT NOT NULL PRIMARY KEY REFERENCES locks(id) ON DELETE CASCADE,
  home_key INTEGER NOT NULL CHECK (home_key IN (0, 1)),
  revocations_version INTEGER NOT NULL CHECK (revocations_version >= 0),
  min_epoch INTEGER NOT NULL CHECK (min_epoch >= 0),
  revoked INTEGER NOT NULL CHECK (revoked >= 0),
  updated_at INTEGER NOT NULL
) STRICT;
)sql";

}  // namespace

std::span<const std::string_view> HubStore::SchemaSteps() {
  static const std::array<std::string_view, 5> steps{kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4OfflineCodes,
                                                     kSchemaV5Push};
  return steps;
}

Result<std::unique_ptr<HubStore>> HubStore::Open(const std::string& path) try {
  auto opened = Database::Open(path);
  LATCHKEY_TRY(opened);
  std::unique_ptr<Database> db = std::move(opened).value();
  LATCHKEY_TRY(store::Migrate(*db, SchemaSteps()));
  return std::unique_ptr<HubStore>(new HubStore(std::move(db)));
} catch (const std::exception& e) {
  return Failure("cannot open hub store " + path, e);
}

}  // namespace latchkey::hub

#include "hub/offline_codes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "crypto/ff1.h"
#include "hub/auth.h"
#include "link/op_answers.h"
#include "link/op_requests.h"
#include "platform/time_format.h"

namespace latchkey::hub {

namespace {

constexpr int64_t kHourMs = 3'600'000;

Refusal Internal(const core::Status& s) { return Refusal{500, "internal", s.message()}; }

std::span<const uint8_t> Bytes(const std::string& text) {
  return std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// The start (Unix seconds) and duration (hours) of an offline-code credential in a lock's event
// ({"type": "offline_code", "start": RFC 3339 or Unix seconds, "duration": hours}), or nullopt.
std::optional<std::pair<int64_t, int64_t>> OfflineCredential(const Json& event) {
  if (!event.is_object() || event.value("kind", "") != "lock_operation") return std::nullopt;
  const auto it = event.find("credential");
  if (it == event.end() || !it->is_object() || it->value("type", "") != "offline_code") return std::nullopt;
  const Json& credential = *it;
  std::optional<int64_t> start_s;
  if (credential.contains("start") && credential["start"].is_string()) {
    if (const auto ms = platform::ParseRfc3339Ms(credential["start"].get<std::string>())) start_s = *ms / 1000;
  } else if (credential.contains("start") && credential["start"].is_number_integer()) {
    start_s = credential["start"].get<int64_t>();
  }
  if (!start_s || !credential.contains("duration") || !credential["duration"].is_number_integer()) return std::nullopt;
  return std::pair{*start_s, credential["duration"].get<int64_t>()};
}

}  // namespace

OfflineCodes::OfflineCodes(Env& env, HubStore& store, LockSessions& sessions)
    : env_(env), store_(store), sessions_(sessions) {}

core::Result<OfflineCodeKey> OfflineCodes::KeyFor(const std::string& lock) {
  auto stored = store_.GetOfflineCodeKey(lock);
  LATCHKEY_TRY(stored);
  if (stored->has_value()) return std::move(**stored);
  OfflineCodeKey key;
  key.lock = lock;
  env_.RandomBytes(key.key);
  const int64_t now_ms = env_.NowMs();
  key.epoch_s = now_ms / kHourMs * 3600;  // the hour at or before now
  key.created_at_ms = now_ms;
  auto made = store_.EnsureOfflineCodeKey(key);
  LATCHKEY_TRY(made);
  spdlog::info("hub: made lock {}'s offline-code key (epoch {})", lock, platform::FormatRfc3339Ms(made->epoch_s * 1000));
  return made;
}

void OfflineCodes::OnLockOnline(const std::string& lock) {
  auto key = KeyFor(lock);
  if (!key.ok()) return spdlog::error("hub: no offline-code key for lock {}: {}", lock, key.status().ToString());
  // The key first: a list is of the key the lock holds (a lock given a new key starts afresh).
  link::SetOfflineKeyRequest request;
  request.key = key->key;
  request.epoch = static_cast<decltype(request.epoch)>(key->epoch_s);
  request.generation = static_cast<decltype(request.generation)>(key->generation);
  sessions_.Request<link::Op::kSetOfflineKey>(lock, request, [this, lock](Json reply) {
    Record(lock, "set_offline_key", reply);
    if (!reply.value("ok", false)) return;  // offline again, or a lock without offline codes
    SendList(lock, Json(), nullptr);
  });
}

void OfflineCodes::OnEvent(const std::string& lock, const Json& event) {
  const auto credential = OfflineCredential(event);
  if (!credential) return;
  auto key = store_.GetOfflineCodeKey(lock);
  if (!key.ok() || !key->has_value()) return;
  const auto [start_s, duration] = *credential;
  const int64_t epoch_s = (*key)->epoch_s;
  if (start_s < epoch_s || (start_s - epoch_s) % 3600 != 0) return;
  const int64_t start_hour = (start_s - epoch_s) / 3600;
  auto codes = store_.ListOfflineCodes(lock);
  if (!codes.ok()) return spdlog::error("hub: cannot read lock {}'s offline codes: {}", lock, codes.status().ToString());
  // The event names the window, not the code: the oldest code of that window not yet used is
  // the one (codes are listed newest first).
  for (auto it = codes->rbegin(); it != codes->rend(); ++it) {
    if (it->start_hour != start_hour || it->duration_hours != duration || it->used_at_ms) continue;
    const int64_t at_ms = event.contains("time") && event["time"].is_number_integer() ? event["time"].get<int64_t>()
                                                                                        : env_.NowMs();
    auto marked = store_.MarkOfflineCodeUsed(lock, it->id, at_ms);
    if (!marked.ok()) spdlog::error("hub: offline code {} not marked used: {}", it->id, marked.status().ToString());
    return;
  }
}

void OfflineCodes::Issue(const std::string& lock, const OfflineCodeAsk& ask, const std::string& created_by,
                         const Json& actor, std::function<void(IssueAnswer)> done) {
  const int64_t now_ms = env_.NowMs();
  // Planned against the key's epoch, or the one a key made now would have: a refused window
  // changes nothing, not even by making the key.
  auto existing = store_.GetOfflineCodeKey(lock);
  if (!existing.ok()) return done(Internal(existing.status()));
  const int64_t epoch_s = existing->has_value() ? (*existing)->epoch_s : now_ms / kHourMs * 3600;
  auto planned = PlanOfflineCode(ask, epoch_s, now_ms);
  if (auto* refusal = std::get_if<Refusal>(&planned)) return done(*refusal);
  const OfflineCodeWindow& window = std::get<OfflineCodeWindow>(planned);

  auto key = KeyFor(lock);
  if (!key.ok()) return done(Internal(key.status()));
  if (core::Status s = store_.DeleteOfflineCodesEndedBefore(lock, now_ms - kForgetEndedOfflineCodesMs); !s.ok()) {
    return done(Internal(s));
  }
  auto codes = store_.ListOfflineCodes(lock);
  if (!codes.ok()) return done(Internal(codes.status()));
  const auto live = std::count_if(codes->begin(), codes->end(),
                                  [&](const OfflineCodeRecord& c) { return LiveOfflineCode(c, *key, now_ms); });
  if (static_cast<std::size_t>(live) >= kMaxLiveOfflineCodesPerLock) {
    return done(Refusal{409, "resource_exhausted",
                        "this lock has " + std::to_string(live) + " offline codes that can still open it (at most " +
                            std::to_string(kMaxLiveOfflineCodesPerLock) + "): revoke some, or clear them all"});
  }

  OfflineCodeChange change;
  change.lock = lock;
  change.at_ms = now_ms;
  uint32_t generation = key->generation;
  if (window.fields.type == core::OfflineCodeType::kClear) {
    if (key->generation == std::numeric_limits<uint32_t>::max()) {
      return done(Refusal{409, "resource_exhausted", "this lock's offline codes cannot be cleared any more"});
    }
    // A lock at generation g accepts codes of g and g + 1 only: a second clear code before the
    // lock learnt the first would be of g + 2, and neither it nor any code after it would open.
    if (key->generation > ConfirmedGeneration(*key)) {
      std::string pending;
      for (const OfflineCodeRecord& c : *codes) {
        if (c.type == core::OfflineCodeType::kClear && c.generation == key->generation) {
          pending = c.id;
          break;
        }
      }
      return done(Refusal{409, "clear_pending",
                          "the lock has not yet learnt the last clear code" +
                              (pending.empty() ? std::string() : " (" + pending + ")") +
                              ": it does when it connects to the hub, or when that code or any code issued since "
                              "is typed at the door; until then every code issued before it still opens"});
    }
    generation = key->generation + 1;
    change.generation = generation;
    // The list of the new generation starts empty; a new version makes the lock take it.
    change.revocations_version = key->revocations_version + 1;
  }
  const std::string plaintext =
      core::PackOfflineCode(window.fields, core::OfflineCodeCheck(crypto_, key->key, generation, window.fields));
  // A code is its window, kind and generation, nothing else: the same ones give the same 12
  // digits. Handing them out twice would make two people's codes one (one use, one revocation).
  for (const OfflineCodeRecord& same : *codes) {
    if (same.plaintext != plaintext || same.ends_at_ms <= now_ms) continue;
    const OfflineCodeStatus status = StatusOf(same, *key, now_ms);
    const std::string what = status == OfflineCodeStatus::kIssued ? "this lock already has this code, issued as " + same.id
                             : status == OfflineCodeStatus::kUsed ? "the same code was used as " + same.id +
                                                                        ", and the lock refuses it now"
                                                                  : "the same code was revoked as " + same.id +
                                                                        ", and the lock refuses it";
    return done(Refusal{409, "duplicate",
                        what + ": a code is made from its window and kind alone, so give another window (an hour "
                               "earlier or later) for a second code"});
  }
  auto code = crypto::Ff1Encrypt(key->key, Bytes(lock), 10, plaintext);
  if (!code.ok()) return done(Internal(code.status()));

  OfflineCodeRecord record;
  record.id = RandomId(env_);
  record.lock = lock;
  record.plaintext = plaintext;
  record.code = std::move(code).value();
  record.type = window.fields.type;
  record.start_hour = window.fields.start_hour;
  record.duration_hours = window.fields.duration_hours;
  record.starts_at_ms = window.starts_at_ms;
  record.ends_at_ms = window.ends_at_ms;
  record.name = ask.name;
  record.created_by = created_by;
  record.created_at_ms = now_ms;
  record.generation = generation;
  change.add = record;
  if (core::Status s = store_.CommitOfflineCodeChange(change); !s.ok()) return done(Internal(s));

  if (!change.generation || !sessions_.online(lock)) return done(Reread(lock, record.id));
  // A connected lock refuses every earlier code from its answer on.
  SendList(lock, actor, [this, lock, id = record.id, done = std::move(done)] { done(Reread(lock, id)); });
}

void OfflineCodes::Revoke(const std::string& lock, const std::string& id, const Json& actor,
                          std::function<void(RevokeAnswer)> done) {
  auto found = store_.GetOfflineCode(lock, id);
  if (!found.ok()) return done(Internal(found.status()));
  if (!found->has_value()) return done(Refusal::NotFound("no such offline code"));
  const OfflineCodeRecord& code = **found;
  auto key = KeyFor(lock);
  if (!key.ok()) return done(Internal(key.status()));
  const int64_t now_ms = env_.NowMs();
  bool list_changes = false;
  if (!code.revoked_at_ms && !code.cleared_at_ms) {
    auto codes = store_.ListOfflineCodes(lock);
    if (!codes.ok()) return done(Internal(codes.status()));
    OfflineCodeChange change;
    change.lock = lock;
    change.at_ms = now_ms;
    // A code whose window has ended opens nothing: no list needs to name it.
    list_changes = code.generation == key->generation && code.ends_at_ms > now_ms;
    if (list_changes) {
      std::vector<OfflineCodeRecord> after = std::move(codes).value();
      for (OfflineCodeRecord& c : after) {
        if (c.id == id) c.revoked_at_ms = now_ms;
      }
      const std::size_t listed = RevokedPlaintexts(after, key->generation, now_ms).size();
      if (listed > kMaxOfflineRevocations) {
        return done(Refusal{409, "resource_exhausted",
                            "the lock's list of revoked codes is full (" + std::to_string(kMaxOfflineRevocations) +
                                " codes whose windows have not ended): clear every code at once instead "
                                "(POST .../offline-codes {\"clear\": true})"});
      }
      change.revocations_version = key->revocations_version + 1;
    }
    change.revoke.emplace_back(id, list_changes ? key->revocations_version + 1 : 0);
    if (core::Status s = store_.CommitOfflineCodeChange(change); !s.ok()) return done(Internal(s));
  } else if (code.revoked_at_ms) {
    list_changes = !RevocationDelivered(code, *key) && code.ends_at_ms > now_ms;  // send again below
  }
  if (!list_changes || !sessions_.online(lock)) return done(Reread(lock, id));
  SendList(lock, actor, [this, lock, id, done = std::move(done)] { done(Reread(lock, id)); });
}

void OfflineCodes::SendList(const std::string& lock, const Json& actor, std::function<void()> done) {
  auto key = store_.GetOfflineCodeKey(lock);
  auto codes = store_.ListOfflineCodes(lock);
  if (!key.ok() || !key->has_value() || !codes.ok()) {
    spdlog::error("hub: no offline-code revocation list for lock {}", lock);
    if (done) done();
    return;
  }
  link::RevokeOfflineCodesRequest request;
  request.version = static_cast<decltype(request.version)>((*key)->revocations_version);
  request.generation = static_cast<decltype(request.generation)>((*key)->generation);
  for (std::string& plaintext : RevokedPlaintexts(*codes, (*key)->generation, env_.NowMs())) {
    request.codes.push_back(std::move(plaintext));
  }
  Json args = link::EncodeRequest(request);
  if (actor.is_object()) args["actor"] = actor;
  sessions_.Request(lock, std::string(link::ToString(link::Op::kRevokeOfflineCodes)), std::move(args),
                    [this, lock, done = std::move(done)](Json reply) {
                      Record(lock, "revoke_offline_codes", reply);
                      if (done) done();
                    });
}

void OfflineCodes::Record(const std::string& lock, const std::string& op, const Json& reply) {
  if (!reply.value("ok", false)) {
    const Json error = reply.contains("error") && reply["error"].is_object() ? reply["error"] : Json::object();
    if (error.value("code", "") == "lock_offline") return spdlog::debug("hub: lock {} went offline before {}", lock, op);
    return spdlog::warn("hub: lock {} refused {}: {}", lock, op, error.dump());
  }
  auto answer =
      link::OfflineCodesAnswer::Fields().Decode(reply.contains("result") ? reply["result"] : Json::object());
  if (!answer.ok()) return spdlog::warn("hub: lock {} answered {} with {}", lock, op, answer.status().ToString());
  OfflineCodesApplied applied;
  applied.key = answer->key;
  applied.epoch_s = static_cast<int64_t>(answer->epoch);
  applied.generation = static_cast<uint32_t>(answer->generation);
  applied.revocations_version = static_cast<uint64_t>(answer->revocations_version);
  applied.at_ms = env_.NowMs();
  if (core::Status s = store_.PutOfflineCodesApplied(lock, applied); !s.ok()) {
    if (s.code() != core::Code::kNotFound) spdlog::error("hub: cannot record lock {}'s offline codes: {}", lock, s.ToString());
    return;
  }
  auto stored = store_.GetOfflineCodeKey(lock);
  if (!stored.ok() || !stored->has_value()) return;
  const OfflineCodeKey& key = **stored;
  if (!applied.key || applied.epoch_s != key.epoch_s) {
    if (op == "set_offline_key") spdlog::warn("hub: lock {} did not take its offline-code key", lock);
    return;
  }
  // A lock ahead of the hub (a generation or a list the hub does not remember: its data was
  // restored from an older copy): the hub goes on from there, or its next clear code and list
  // would be older than what the lock holds, and the lock would never take them.
  if (applied.generation <= key.generation && applied.revocations_version <= key.revocations_version) return;
  OfflineCodeChange change;
  change.lock = lock;
  change.at_ms = env_.NowMs();
  if (applied.generation > key.generation) change.generation = applied.generation;
  change.revocations_version = std::max(key.revocations_version, applied.revocations_version) + 1;
  spdlog::warn("hub: lock {} holds offline-code generation {} and list {}, ahead of the hub's {} and {}: going on from "
               "there",
               lock, applied.generation, applied.revocations_version, key.generation, key.revocations_version);
  if (core::Status s = store_.CommitOfflineCodeChange(change); !s.ok()) {
    return spdlog::error("hub: offline codes not caught up with lock {}: {}", lock, s.ToString());
  }
  if (sessions_.online(lock)) SendList(lock, Json(), nullptr);
}

std::variant<OfflineCodes::Outcome, Refusal> OfflineCodes::Reread(const std::string& lock, const std::string& id) {
  auto code = store_.GetOfflineCode(lock, id);
  if (!code.ok()) return Internal(code.status());
  if (!code->has_value()) return Refusal::NotFound("no such offline code");  // the lock was unpaired meanwhile
  auto key = store_.GetOfflineCodeKey(lock);
  if (!key.ok()) return Internal(key.status());
  if (!key->has_value()) return Refusal::NotFound("no such offline code");
  return Outcome{std::move(**code), std::move(**key)};
}

}  // namespace latchkey::hub

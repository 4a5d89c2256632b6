// libFuzzer target: link::DecodeMessage (CBOR, nlohmann::json::from_cbor without exceptions) and
// everything the lock and the hub do next with a decoded message's fields.
//
// Input: one transport plaintext (at most a 16 KiB frame less the AEAD tag). Checks:
//   - DecodeMessage accepts exactly the CBOR maps with a known string "t", and what it accepts
//     re-encodes and decodes to the same document;
//   - the field reads of the lock's link server (LinkServer::OnMessage, LockOps argument parsing)
//     and of the hub's client (LinkClient::OnMessage) never crash, and every wire::JsonFields
//     accessor keeps its contract (a value only when present, of the right type and in range;
//     a failure recorded otherwise; the first failure kept);
//   - every wire decoder of json_codec.h, fed the document and its sub-documents, either refuses
//     with kInvalid or returns a record that survives ToJson -> FromJson unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/types.h"
#include "fuzz_check.h"
#include "link/frame.h"
#include "link/link_client.h"
#include "link/list_pages.h"
#include "link/message.h"
#include "wire/event_forms.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace {

namespace core = latchkey::core;
namespace link = latchkey::link;
namespace wire = latchkey::wire;
using link::Json;
using wire::JsonFields;

// A transport plaintext is a frame's payload without the 16-byte AEAD tag.
constexpr std::size_t kMaxPlaintext = link::kMaxFrame - 16;
// Sub-documents visited per input (an "events" list can hold thousands), and how many of them
// get the (slower) accessor-by-accessor check.
constexpr int kMaxDocs = 48;
constexpr std::size_t kMaxFieldDocs = 8;
constexpr std::size_t kMaxKeys = 10;

// How deep arrays and objects nest in `value`, each counting (the measure of kMaxMessageNesting).
int Depth(const Json& value) {
  if (!value.is_structured()) return 0;
  int deepest = 0;
  for (const Json& item : value) deepest = std::max(deepest, Depth(item));
  return deepest + 1;
}

bool KnownType(const Json& body) {
  const auto t = body.find("t");
  if (t == body.end() || !t->is_string()) return false;
  for (auto type : {link::MessageType::kHello, link::MessageType::kReq, link::MessageType::kRes,
                    link::MessageType::kState, link::MessageType::kEvents, link::MessageType::kAck,
                    link::MessageType::kResume, link::MessageType::kPing, link::MessageType::kPong}) {
    if (link::ToString(type) == t->get_ref<const std::string&>()) return true;
  }
  return false;
}

// --- wire::JsonFields: each accessor on a fresh reader, against what the document holds -----

void CheckRefused(const JsonFields& f, bool present_non_null, bool required, const char* what) {
  // No value: a present field was refused (status records it), or an absent one was required.
  if (present_non_null || required) {
    FUZZ_CHECK(!f.ok() && f.status().code() == core::Code::kInvalid, what);
  } else {
    FUZZ_CHECK(f.ok(), what);
  }
}

void CheckAccessors(const Json& doc, std::string_view key) {
  const bool is_object = doc.is_object();
  const auto it = is_object ? doc.find(key) : doc.end();
  const Json* v = (is_object && it != doc.end()) ? &*it : nullptr;
  const bool present = v != nullptr && !v->is_null();

  {
    JsonFields f(doc);
    FUZZ_CHECK(f.ok() == is_object, "JsonFields refuses exactly the non-objects");
    FUZZ_CHECK(f.Has(key) == present, "Has() is presence with a non-null value");
  }
  if (!is_object) {
    JsonFields f(doc);
    FUZZ_CHECK(!f.Uint(key, 0, UINT64_MAX, false) && !f.Int(key, false) && !f.Bool(key, false) &&
                   !f.Str(key, false) && f.Child(key, false) == nullptr,
               "no value out of a refused document");
    return;
  }
  for (bool required : {false, true}) {
    static constexpr std::pair<uint64_t, uint64_t> kRanges[] = {
        {0, UINT64_MAX}, {1, 65534}, {0, 255}, {1, 86400}, {0, UINT32_MAX}, {5, 5}};
    for (const auto& [lo, hi] : kRanges) {
      JsonFields f(doc);
      const auto u = f.Uint(key, lo, hi, required);
      if (u) {
        FUZZ_CHECK(present && v->is_number_integer() && f.ok(), "Uint() value from a non-integer");
        FUZZ_CHECK(*u >= lo && *u <= hi, "Uint() value out of its range");
        FUZZ_CHECK(v->is_number_unsigned() ? v->get<uint64_t>() == *u
                                           : v->get<int64_t>() >= 0 && static_cast<uint64_t>(v->get<int64_t>()) == *u,
                   "Uint() value differs from the document");
      } else {
        CheckRefused(f, present, required, "Uint() refused without recording why");
      }
    }
    {
      JsonFields f(doc);
      const auto i = f.Int(key, required);
      if (i) {
        FUZZ_CHECK(present && v->is_number_integer() && f.ok(), "Int() value from a non-integer");
        FUZZ_CHECK(v->is_number_unsigned() ? *i >= 0 && static_cast<uint64_t>(*i) == v->get<uint64_t>()
                                           : *i == v->get<int64_t>(),
                   "Int() value differs from the document");
      } else {
        CheckRefused(f, present, required, "Int() refused without recording why");
      }
    }
    {
      JsonFields f(doc);
      const auto b = f.Bool(key, required);
      if (b) {
        FUZZ_CHECK(present && v->is_boolean() && v->get<bool>() == *b && f.ok(), "Bool() value differs");
      } else {
        CheckRefused(f, present, required, "Bool() refused without recording why");
      }
    }
    for (std::size_t max_bytes : {std::size_t{0}, std::size_t{16}, std::size_t{64}, std::size_t{4096}}) {
      JsonFields f(doc);
      const auto s = f.Str(key, required, max_bytes);
      if (s) {
        FUZZ_CHECK(present && v->is_string() && *s == v->get_ref<const std::string&>() && f.ok(),
                   "Str() value differs from the document");
        FUZZ_CHECK(s->size() <= max_bytes, "Str() longer than its limit");
      } else {
        CheckRefused(f, present, required, "Str() refused without recording why");
      }
    }
    {
      JsonFields f(doc);
      const auto e = f.Enum<core::OperatingMode>(key, required);
      if (e) {
        FUZZ_CHECK(core::IsValid(*e) && present && v->is_string() &&
                       core::ToString(*e) == v->get_ref<const std::string&>(),
                   "Enum() value is not the document's name");
      } else {
        CheckRefused(f, present, required, "Enum() refused without recording why");
      }
    }
    {
      JsonFields f(doc);
      const Json* c = f.Child(key, required);
      FUZZ_CHECK(c == (present ? v : nullptr), "Child() is not the document's field");
      CheckRefused(f, false, required && !present, "Child() status");
    }
  }
}

// One reader through many reads: the first failure is the one kept, and after it nothing more
// is handed out.
void CheckFirstFailureKept(const Json& doc, const std::vector<std::string>& keys) {
  JsonFields f(doc, "fuzz");
  std::optional<std::string> first;
  if (!f.ok()) first = f.status().message();
  for (const auto& key : keys) {
    const bool failed_before = !f.ok();
    // Every accessor runs (no short-circuit), each on the reader's state after the one before.
    const bool got_uint = f.Uint(key, 1, 1000, false).has_value();
    const bool got_str = f.Str(key, false, 8).has_value();
    const bool got_bool = f.Bool(key, false).has_value();
    const bool got_int = f.Int(key, true).has_value();
    const bool got = got_uint || got_str || got_bool || got_int;
    if (failed_before) FUZZ_CHECK(!got, "a value handed out after a failure");
    if (!f.ok() && !first) first = f.status().message();
    if (first) FUZZ_CHECK(f.status().message() == *first, "a later failure replaced the first");
  }
  if (doc.is_object() && f.ok() && !keys.empty()) {
    // OnlyKeys: refuses exactly a document with a key outside the allowed set.
    JsonFields g(doc);
    g.OnlyKeys({"t", "v", "id", "op", "args", "seq"});
    bool unknown = false;
    for (const auto& [k, value] : doc.items()) {
      unknown = unknown || !(k == "t" || k == "v" || k == "id" || k == "op" || k == "args" || k == "seq");
    }
    FUZZ_CHECK(g.ok() == !unknown, "OnlyKeys() disagrees with the document's keys");
  }
}

void CheckFields(const Json& doc) {
  std::vector<std::string> keys;
  if (doc.is_object()) {
    for (const auto& [k, value] : doc.items()) {
      if (keys.size() == kMaxKeys) break;
      keys.push_back(k);
    }
  }
  keys.emplace_back("t");
  keys.emplace_back("no such field");
  for (const auto& key : keys) CheckAccessors(doc, key);
  CheckFirstFailureKept(doc, keys);
}

// --- the decoders of json_codec.h --------------------------------------------------------------

template <typename T, typename From, typename To>
void RoundTrip(const Json& doc, From from, To to, const char* what) {
  const core::Result<T> decoded = from(doc);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == core::Code::kInvalid, what);
    return;
  }
  const Json encoded = to(*decoded);
  const core::Result<T> again = from(encoded);
  FUZZ_CHECK(again.ok(), what);
  FUZZ_CHECK(*again == *decoded, what);
  // The JSON form travels as CBOR on the link: it must survive that too.
  const Json via_cbor = Json::from_cbor(Json::to_cbor(encoded), true, false);
  FUZZ_CHECK(!via_cbor.is_discarded() && via_cbor == encoded, what);
}

void CheckDecoders(const Json& doc) {
  RoundTrip<core::Event>(doc, wire::EventFromJson, wire::EventToJson, "EventFromJson round trip");
  if (auto e = wire::EventFromJson(doc); e.ok()) {
    const auto canonical = core::CanonicalEncoding(*e);
    FUZZ_CHECK(!canonical.empty(), "an event without a canonical encoding");
  }
  // The API form reads its times as RFC 3339 text, and writes back what it reads.
  RoundTrip<core::Event>(
      doc, [](const Json& j) { return wire::DecodeEvent(wire::Form::kApi, j); },
      [](const core::Event& e) { return wire::EncodeEvent(wire::Form::kApi, e); }, "DecodeEvent(kApi) round trip");
  RoundTrip<core::User>(doc, wire::UserFromJson, wire::UserToJson, "UserFromJson round trip");
  RoundTrip<core::WeekDaySchedule>(doc, wire::WeekDayFromJson, wire::WeekDayToJson, "WeekDayFromJson round trip");
  RoundTrip<core::YearDaySchedule>(doc, wire::YearDayFromJson, wire::YearDayToJson, "YearDayFromJson round trip");
  RoundTrip<core::HolidaySchedule>(doc, wire::HolidayFromJson, wire::HolidayToJson, "HolidayFromJson round trip");
  RoundTrip<core::RuntimeState>(doc, wire::DecodeRuntime, wire::EncodeRuntime, "DecodeRuntime round trip");
  RoundTrip<core::Settings>(doc, wire::SettingsFromJson, wire::SettingsToJson, "SettingsFromJson round trip");
  const auto patch = wire::SettingsPatchFromJson(doc);
  if (!patch.ok()) {
    FUZZ_CHECK(patch.status().code() == core::Code::kInvalid, "SettingsPatchFromJson status");
  } else {
    FUZZ_CHECK(doc.is_object(), "a settings patch out of a non-object");
    if (patch->name) FUZZ_CHECK(patch->name->size() <= 256, "settings name over its limit");
    if (patch->timezone) FUZZ_CHECK(patch->timezone->size() <= 64, "timezone over its limit");
  }
}

// The document, then its sub-documents breadth first (args, result, events[i], settings, ...).
void VisitAll(const Json& root) {
  std::vector<const Json*> queue{&root};
  for (std::size_t i = 0; i < queue.size() && i < static_cast<std::size_t>(kMaxDocs); ++i) {
    const Json& doc = *queue[i];
    if (i < kMaxFieldDocs) CheckFields(doc);
    CheckDecoders(doc);
    if (doc.is_object() || doc.is_array()) {
      for (const Json& child : doc) {
        if (queue.size() >= static_cast<std::size_t>(kMaxDocs)) break;
        if (child.is_structured()) queue.push_back(&child);
      }
    }
  }
}

// --- the lock's and the hub's readers ----------------------------------------------------------

// What src/device/link_server.cc and lock_ops.cc read from a message before the lock acts.
void ReadLikeTheLock(const link::Message& message) {
  JsonFields f(message.body, "message");
  switch (message.type) {
    case link::MessageType::kHello:
      (void)f.Uint("v", 0, UINT32_MAX, true);
      (void)f.Uint("acked_seq", 0, UINT64_MAX, true);
      return;
    case link::MessageType::kReq: {
      (void)f.Uint("id", 0, UINT64_MAX, true);
      const auto op = f.Str("op", true, 64);
      if (!f.ok()) return;
      FUZZ_CHECK(op && op->size() <= 64, "op over its limit");
      const Json args_in = message.body.contains("args") ? message.body.at("args") : Json::object();
      const Json args = args_in.is_null() ? Json::object() : args_in;
      if (!args.is_object()) return;
      // ActorFrom
      const auto actor = args.find("actor");
      if (actor != args.end() && actor->is_object()) {
        if (actor->contains("name") && (*actor)["name"].is_string()) {
          (void)(*actor)["name"].get<std::string>().substr(0, 64);
        }
        if (actor->contains("role") && (*actor)["role"].is_string()) (void)(*actor)["role"].get<std::string>();
      }
      // The argument reads of every op, each on its own reader as Dispatch does.
      {
        JsonFields a(args, "args");
        (void)a.Str("pin", false, 64);
        (void)a.Uint("timeout_s", 1, 86400, false);
      }
      {
        JsonFields a(args, "args");
        if (const Json* settings = a.Child("settings", true)) {
          const auto patch = wire::SettingsPatchFromJson(*settings);
          FUZZ_CHECK(patch.ok() || patch.status().code() == core::Code::kInvalid, "settings patch status");
        }
      }
      {
        JsonFields a(args, "args");
        (void)a.Str("action", false, 16);
        (void)a.Uint("index", 0, 65535, false);
        (void)a.Str("name", false, 1024);
        (void)a.Uint("unique_id", 0, UINT32_MAX, false);
        (void)a.Enum<core::UserStatus>("status", false);
        (void)a.Enum<core::UserType>("type", false);
        (void)a.Enum<core::CredentialRule>("credential_rule", false);
        (void)a.Bool("all", false);
      }
      {
        JsonFields a(args, "args");
        (void)a.Enum<core::CredentialType>("type", true);
        (void)a.Uint("index", 0, UINT32_MAX, false);
        (void)a.Str("data", true, 256);
        (void)a.Uint("user", 0, 65535, false);
        (void)a.Enum<core::UserType>("user_type", false);
        (void)a.Enum<core::UserStatus>("user_status", false);
      }
      {
        JsonFields a(args, "args");
        (void)a.Uint("user", 0, 65535, true);
        (void)a.Str("kind", true, 16);
        (void)a.Uint("index", 0, 255, false);
        (void)a.Int("time", true);
      }
      {
        // The paging args of every list op (link/list_pages.h).
        const auto page = link::PageArgsFrom(args);
        if (page.ok()) {
          const bool given = (args.contains("from") && !args["from"].is_null()) ||
                             (args.contains("limit") && !args["limit"].is_null());
          FUZZ_CHECK(page->paged == given, "paged exactly when from or limit is given");
          FUZZ_CHECK(page->limit >= 1 && page->limit <= link::kMaxPageLimit, "page limit out of range");
        } else {
          FUZZ_CHECK(page.status().code() == core::Code::kInvalid, "paging args status");
        }
      }
      {
        JsonFields a(args, "sim");
        (void)a.Str("what", true, 32);
        (void)a.Str("keys", true, 64);
        (void)a.Str("uid", true, 64);
        (void)a.Str("template", true, 64);
      }
      return;
    }
    case link::MessageType::kAck:
      (void)f.Uint("seq", 0, UINT64_MAX, true);
      return;
    case link::MessageType::kResume:
      (void)f.Uint("after", 0, UINT64_MAX, true);
      return;
    default:
      return;
  }
}

// What src/link/link_client.cc (the hub) reads from a message of the lock.
void ReadLikeTheHub(const link::Message& message) {
  const Json& body = message.body;
  switch (message.type) {
    case link::MessageType::kHello:
      if (body.contains("v") && body["v"].is_number_unsigned()) (void)body["v"].get<uint64_t>();
      return;
    case link::MessageType::kRes:
      if (body.contains("id") && body["id"].is_number_unsigned()) {
        (void)body["id"].get<uint64_t>();
        Json response = body;
        response.erase("t");
        response.erase("id");
        FUZZ_CHECK(response.is_object(), "a response is a map");
        // The hub's paged walks (link/list_pages.h) fed this answer as every page (and every
        // schedules request) end with one reply, a list or an error, and never throw.
        for (const char* op : {"list_users", "list_credentials"}) {
          int asked = 0, replies = 0;
          Json out;
          link::RequestWholeList(
              [&](const std::string&, Json, link::ReplyFn done) {
                done(++asked < 4 ? response : link::ErrorReply("lock_offline", "fuzz"));
              },
              op, Json::object(), [&](Json r) {
                ++replies;
                out = std::move(r);
              });
          FUZZ_CHECK(replies == 1 && out.is_object(), "a paged walk did not answer exactly once");
          if (out.contains("ok") && out["ok"] == true) FUZZ_CHECK(out["result"].is_array(), "a paged walk answered no list");
        }
        {
          int asked = 0, replies = 0;
          link::RequestUser(
              [&](const std::string&, Json, link::ReplyFn done) {
                done(++asked < 4 ? response : link::ErrorReply("lock_offline", "fuzz"));
              },
              Json{{"index", 1u}}, [&](Json) { ++replies; });
          FUZZ_CHECK(replies == 1, "RequestUser did not answer exactly once");
        }
      }
      return;
    case link::MessageType::kEvents: {
      if (!body.contains("events") || !body["events"].is_array()) return;
      if (body.contains("first_seq") && body["first_seq"].is_number_unsigned()) (void)body["first_seq"].get<uint64_t>();
      int n = 0;
      for (const Json& event : body["events"]) {
        if (++n > kMaxDocs) break;
        if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned()) return;
        (void)event["seq"].get<uint64_t>();
        const auto decoded = wire::EventFromJson(event);  // what the hub's store does with it
        if (decoded.ok()) FUZZ_CHECK(decoded->seq == event["seq"].get<uint64_t>(), "event seq differs");
      }
      return;
    }
    default:
      return;
  }
}

// The document the bytes hold, or a discarded value. nlohmann 3.11.2's from_cbor throws
// out_of_range.408 for an array or map head whose length passes max_size() even with
// allow_exceptions=false (nlohmann/json PR #5467 proposes the fix upstream); the oracle treats
// that as malformed, as DecodeMessage must.
Json Oracle(std::span<const uint8_t> bytes) {
  try {
    return Json::from_cbor(bytes.begin(), bytes.end(), true, false);
  } catch (const Json::exception&) {
    return Json(Json::value_t::discarded);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size > kMaxPlaintext) return 0;
  const std::span<const uint8_t> bytes(data, size);
  // What the lock runs first: it must not throw (an exception here would end the lock's process).
  auto decoded = link::DecodeMessage(bytes);
  const Json raw = Oracle(bytes);

  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == core::Code::kInvalid, "DecodeMessage refuses with kInvalid");
    FUZZ_CHECK(raw.is_discarded() || !raw.is_object() || !KnownType(raw) || Depth(raw) > link::kMaxMessageNesting,
               "DecodeMessage refused a good message");
    // A well-formed document without a known "t" still goes through the decoders (the hub's API
    // hands them JSON of any shape too).
    if (!raw.is_discarded()) VisitAll(raw);
    return 0;
  }

  const link::Message& message = *decoded;
  // (Compared as CBOR: a NaN is never == itself.)
  FUZZ_CHECK(!raw.is_discarded() && Json::to_cbor(raw) == Json::to_cbor(message.body),
             "DecodeMessage changed the document");
  FUZZ_CHECK(message.body.is_object() && KnownType(message.body), "DecodeMessage accepted a bad message");
  FUZZ_CHECK(Depth(message.body) <= link::kMaxMessageNesting, "DecodeMessage accepted a message nesting too deep");
  FUZZ_CHECK(message.body.at("t").get_ref<const std::string&>() == link::ToString(message.type),
             "the message type is not its \"t\"");

  // What was accepted re-encodes, and the re-encoding is stable and decodes to the same type.
  const std::vector<uint8_t> encoded = link::EncodeMessage(message.body);
  auto again = link::DecodeMessage(encoded);
  FUZZ_CHECK(again.ok() && again->type == message.type, "a re-encoded message does not decode");
  FUZZ_CHECK(link::EncodeMessage(again->body) == encoded, "re-encoding is not stable");

  ReadLikeTheLock(message);
  ReadLikeTheHub(message);
  VisitAll(message.body);
  return 0;
}

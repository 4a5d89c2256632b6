// libFuzzer target: the typed request decoders of the link (link/op_requests.h, link/sim_inputs.h)
// and the field tables under them (wire/field_table.h).
//
// Input: one byte choosing the op (or sim row), then a link message (a CBOR map with a known
// "t", as link::DecodeMessage reads a frame's plaintext) whose "args" (or, without one, the
// whole map) is fed to the decoder. Checks:
//   - a decoder refuses only with kInvalid, naming a field or the document;
//   - what it accepts encodes to a document that decodes again and encodes to the same
//     document (the hub's encoding is what the lock reads);
//   - the settings and user forms of wire/record_forms.h keep the same contract.
#include <cstddef>
#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "link/frame.h"
#include "link/message.h"
#include "link/op_requests.h"
#include "link/sim_inputs.h"
#include "wire/record_forms.h"

namespace {

namespace core = latchkey::core;
namespace link = latchkey::link;
namespace wire = latchkey::wire;
using link::Json;

void CheckRefusal(const core::Status& status, const char* what) {
  FUZZ_CHECK(status.code() == core::Code::kInvalid && !status.message().empty(), what);
}

// decode -> encode -> decode -> encode: the two encodings are one document.
template <typename Decode, typename Encode>
void CheckRecode(const Json& doc, Decode decode, Encode encode, const char* what) {
  auto first = decode(doc);
  if (!first.ok()) return CheckRefusal(first.status(), what);
  const Json encoded = encode(*first);
  auto again = decode(encoded);
  FUZZ_CHECK(again.ok(), what);
  FUZZ_CHECK(Json::to_cbor(encode(*again)) == Json::to_cbor(encoded), what);
}

template <typename Row>
void CheckSimRow(const Json& doc) {
  CheckRecode(doc, link::DecodeSimInput<Row>, link::EncodeSimInput<Row>, "sim input recode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0 || size > link::kMaxFrame - 16) return 0;
  // The rest is a message as the lock decodes it (its nesting limit included); its "args" (or
  // the whole map) is the document.
  auto message = link::DecodeMessage(std::span<const uint8_t>(data + 1, size - 1));
  if (!message.ok()) return 0;
  const Json& body = message->body;
  const Json& doc = body.contains("args") ? body.at("args") : body;
  const std::size_t choice = data[0];

  if (choice < link::kOpCount) {
    const auto op = static_cast<link::Op>(choice);
    auto recoded = link::RecodeRequest(op, doc);
    if (!recoded.ok()) {
      CheckRefusal(recoded.status(), "request refusal");
      return 0;
    }
    auto again = link::RecodeRequest(op, *recoded);
    FUZZ_CHECK(again.ok() && Json::to_cbor(*again) == Json::to_cbor(*recoded), "request recode");
    return 0;
  }
  switch (choice - link::kOpCount) {
    case 0: CheckSimRow<link::SimNothing>(doc); break;
    case 1: CheckSimRow<link::SimKeypad>(doc); break;
    case 2: CheckSimRow<link::SimRfid>(doc); break;
    case 3: CheckSimRow<link::SimBiometric>(doc); break;
    case 4: CheckSimRow<link::SimByHand>(doc); break;
    case 5: CheckSimRow<link::SimDoor>(doc); break;
    case 6: CheckSimRow<link::SimBattery>(doc); break;
    case 7: CheckSimRow<link::SimConnected>(doc); break;
    case 8: CheckSimRow<link::SimJam>(doc); break;
    case 9: CheckSimRow<link::SimClock>(doc); break;
    default:
      for (auto form : {wire::Form::kStore, wire::Form::kLink, wire::Form::kApi}) {
        CheckRecode(
            doc, [form](const Json& j) { return wire::DecodeSettings(form, j); },
            [form](const core::Settings& s) { return wire::EncodeSettings(form, s); }, "settings recode");
        CheckRecode(
            doc, [form](const Json& j) { return wire::DecodeSettingsPatch(form, j); },
            [form](const core::SettingsPatch& p) { return wire::EncodeSettingsPatch(form, p); }, "patch recode");
        CheckRecode(
            doc, [form](const Json& j) { return wire::DecodeUser(form, j); },
            [form](const core::User& u) { return wire::EncodeUser(form, u); }, "user recode");
      }
  }
  return 0;
}

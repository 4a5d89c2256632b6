// What credential data may look like, and the bytes its digest is taken over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/capabilities.h"
#include "core/status.h"
#include "core/types.h"

namespace latchkey::core {

// Checks `data` for `type` against the lock's capabilities (LOCK-SEMANTICS.md 4, step 1).
// A refusal starts with the field it is about ("data: ..." or "type: ..."): the hub passes
// the message on as the 400 of API.md, which must name the field.
Status ValidateCredentialData(CredentialType type, std::string_view data, const Capabilities& caps);

// The input of the keyed digest: a domain byte, one per credential type, followed by the
// normalised data (RFID as upper-case hex). The programming PIN has a domain of its own ('G',
// ordinary PINs 'K'), so that no lookup or duplicate check of PINs can ever find it (guessing
// PINs, remotely or by adding them, says nothing about it) and the reverse. Only call with data
// that ValidateCredentialData accepted.
std::vector<uint8_t> DigestInput(CredentialType type, std::string_view data);

}  // namespace latchkey::core

// The secure channels of the link (LINK.md, Security) and of phone keys (PHONE-KEYS.md section
// 2): the Noise Protocol Framework, revision 34. Include this one header; it is split in three
// only to keep each file small:
//   noise_suite.h      the two suites' HASH, HMAC, HKDF and AEAD (ChaChaPoly_BLAKE2b for the
//                      link, AESGCM_SHA256 for phones)
//   noise_cipher.h     CipherState (the transport), SymmetricState
//   noise_handshake.h  key pairs, the XX / XXpsk3 / IK handshakes, TransportPair
//
// A session: Handshake::Start, then WriteMessage / ReadMessage in turn (writes_next() says
// which) until finished(), then check remote_static() against the trusted key and Split() into
// a TransportPair. Every failure is a Status::Invalid; after one, drop the connection.
#pragma once

#include "crypto/noise_cipher.h"     // IWYU pragma: export
#include "crypto/noise_suite.h"      // IWYU pragma: export
#include "crypto/noise_handshake.h"  // IWYU pragma: export

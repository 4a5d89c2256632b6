// The link's secure channel: the Noise Protocol Framework, revision 34 (LINK.md, Security).
// Include this one header; it is split in two only to keep each file small:
//   noise_cipher.h     CipherState (the transport), SymmetricState, HMAC/HKDF over BLAKE2b
//   noise_handshake.h  key pairs, the XX / XXpsk3 / IK handshakes, TransportPair
//
// A session: Handshake::Start, then WriteMessage / ReadMessage in turn (writes_next() says
// which) until finished(), then check remote_static() against the trusted key and Split() into
// a TransportPair. Every failure is a Status::Invalid; after one, drop the connection.
#pragma once

#include "crypto/noise_cipher.h"     // IWYU pragma: export
#include "crypto/noise_handshake.h"  // IWYU pragma: export

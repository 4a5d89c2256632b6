// Ownership of OpenSSL objects, and OpenSSL's errors as text, for every file that calls
// OpenSSL's C API (crypto/ff1.cc, hub/tls_certificate.cc, hub/push/):
//
//   using Bn = crypto::OpenSslPtr<BIGNUM, BN_clear_free>;
//   Bn b(BN_new());                       // freed with BN_clear_free, also on an early return
//   if (!b) return core::Status::IoError(crypto::OpenSslErrorText("BN_new"));
//                                         // "BN_new: error:...:malloc failure", queue emptied
#pragma once

#include <memory>
#include <string>

namespace latchkey::crypto {

template <typename T, void (*kFree)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { kFree(p); }
};
template <typename T, void (*kFree)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, kFree>>;

// `what`, then ": " and the oldest error on this thread's OpenSSL queue when there is one; the
// queue is emptied, so that a later call does not report this failure again.
std::string OpenSslErrorText(const std::string& what);

}  // namespace latchkey::crypto

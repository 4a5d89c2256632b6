// The lock's credentials: each slot of each type, and a map from keyed digest to slot so that a
// presented credential is found in O(1) whatever the number stored.
#pragma once

#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/capabilities.h"
#include "core/slot_allocator.h"
#include "core/user.h"

namespace latchkey::core {


class CredentialTable {
 public:
  explicit CredentialTable(const Capabilities& caps);

  // nullptr if the slot is empty.
  const StoredCredential* Find(CredentialRef ref) const;
  // The credential whose digest equals `digest` (compared in constant time), or nullptr.
  const StoredCredential* FindByDigest(const Digest& digest) const;
  void Put(const StoredCredential& credential);  // the slot must be empty or hold `ref`
  void Erase(CredentialRef ref);
  std::optional<CredentialIndex> LowestFree(CredentialType type) const;
  // All credentials of one type (or all types), by type then index.
  std::vector<StoredCredential> List(std::optional<CredentialType> type) const;
  void Clear();

 private:
  // One entry per CredentialType, so that any type's lookup stays in bounds (only the types
  // Capabilities::SupportsType ever hold anything).
  static constexpr std::size_t kTypes = EnumNames<CredentialType>::kNames.size();
  struct DigestHash {
    std::size_t operator()(const Digest& d) const {
      // A keyed digest is uniformly random; its first bytes are a good hash.
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct DigestEqual {
    bool operator()(const Digest& a, const Digest& b) const { return ConstantTimeEqual(a, b); }
  };
  struct PerType {
    std::unordered_map<CredentialIndex, StoredCredential> slots;
    SlotAllocator allocator;
  };
  std::array<PerType, kTypes> types_;
  std::unordered_map<Digest, CredentialRef, DigestHash, DigestEqual> by_digest_;
};

}  // namespace latchkey::core

#include "core/credential_index.h"

#include <algorithm>

namespace latchkey::core {

CredentialTable::CredentialTable(const Capabilities& caps) {
  for (std::size_t t = 0; t < kTypes; ++t) {
    const auto type = static_cast<CredentialType>(t);
    // The programming PIN lives at index 0 only.
    types_[t].allocator = SlotAllocator(type == CredentialType::kProgrammingPin ? 0 : caps.credential_slots());
  }
}

const StoredCredential* CredentialTable::Find(CredentialRef ref) const {
  const auto& slots = types_[static_cast<std::size_t>(ref.type)].slots;
  const auto it = slots.find(ref.index);
  return it == slots.end() ? nullptr : &it->second;
}

const StoredCredential* CredentialTable::FindByDigest(const Digest& digest) const {
  const auto it = by_digest_.find(digest);
  return it == by_digest_.end() ? nullptr : Find(it->second);
}

void CredentialTable::Put(const StoredCredential& credential) {
  auto& per_type = types_[static_cast<std::size_t>(credential.ref.type)];
  auto [it, inserted] = per_type.slots.try_emplace(credential.ref.index, credential);
  if (!inserted) {
    by_digest_.erase(it->second.digest);
    it->second = credential;
  }
  if (credential.ref.index > 0) per_type.allocator.Take(credential.ref.index);
  by_digest_[credential.digest] = credential.ref;
}

void CredentialTable::Erase(CredentialRef ref) {
  auto& per_type = types_[static_cast<std::size_t>(ref.type)];
  const auto it = per_type.slots.find(ref.index);
  if (it == per_type.slots.end()) return;
  by_digest_.erase(it->second.digest);
  per_type.slots.erase(it);
  if (ref.index > 0) per_type.allocator.Release(ref.index);
}

std::optional<CredentialIndex> CredentialTable::LowestFree(CredentialType type) const {
  if (type == CredentialType::kProgrammingPin) {
    return Find({type, 0}) ? std::nullopt : std::optional<CredentialIndex>(0);
  }
  return types_[static_cast<std::size_t>(type)].allocator.LowestFree();
}

std::vector<StoredCredential> CredentialTable::List(std::optional<CredentialType> type) const {
  std::vector<StoredCredential> out;
  for (std::size_t t = 0; t < kTypes; ++t) {
    if (type && static_cast<std::size_t>(*type) != t) continue;
    const std::size_t first = out.size();
    for (const auto& [index, cred] : types_[t].slots) out.push_back(cred);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const StoredCredential& a, const StoredCredential& b) { return a.ref.index < b.ref.index; });
  }
  return out;
}

void CredentialTable::Clear() {
  for (auto& per_type : types_) {
    for (const auto& [index, cred] : per_type.slots) {
      if (index > 0) per_type.allocator.Release(index);
    }
    per_type.slots.clear();
  }
  by_digest_.clear();
}

}  // namespace latchkey::core

// A user of the lock (LOCK-SEMANTICS.md 3) and the requests that create or change one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/schedule.h"
#include "core/types.h"

namespace latchkey::core {

struct User {
  UserIndex index = 0;
  std::string name;
  std::optional<uint32_t> unique_id;
  UserStatus status = UserStatus::kEnabled;
  UserType type = UserType::kUnrestricted;
  CredentialRule credential_rule = CredentialRule::kSingle;
  std::vector<CredentialRef> credentials;  // in the order added
  std::string created_by, modified_by;
  int64_t created_at_ms = 0, modified_at_ms = 0;
  std::vector<WeekDaySchedule> week_day_schedules;  // sorted by index
  std::vector<YearDaySchedule> year_day_schedules;  // sorted by index
  // An expiring user's wall-clock deadline, set at its first use.
  std::optional<int64_t> expires_at_ms;

  bool schedule_bound() const {
    return type == UserType::kWeekDaySchedule || type == UserType::kYearDaySchedule ||
           type == UserType::kScheduleRestricted;
  }
  friend bool operator==(const User&, const User&) = default;
};

// Add (index optional: lowest free slot) or modify (index required) a user; absent fields keep
// their value (defaults on add).
struct UserRequest {
  std::optional<UserIndex> index{};
  std::optional<std::string> name{};
  std::optional<uint32_t> unique_id{};
  std::optional<UserStatus> status{};
  std::optional<UserType> type{};
  std::optional<CredentialRule> credential_rule{};
};

// A stored credential: the keyed digest of its data, never the data.
struct StoredCredential {
  CredentialRef ref;
  UserIndex user = 0;
  Digest digest{};
  std::string created_by;
  int64_t created_at_ms = 0;
  friend bool operator==(const StoredCredential&, const StoredCredential&) = default;
};

struct CredentialRequest {
  CredentialType type = CredentialType::kPin;
  std::optional<CredentialIndex> index;  // absent: lowest free slot of that type
  std::string data;
  std::optional<UserIndex> user;          // absent: a new user is created
  std::optional<UserType> user_type;      // only with no user
  std::optional<UserStatus> user_status;  // only with no user
};

struct CredentialResult {
  CredentialRef credential;
  UserIndex user = 0;
  std::optional<CredentialIndex> next_free_index;
};

}  // namespace latchkey::core

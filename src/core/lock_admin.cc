// Users, credentials, schedules and settings (LOCK-SEMANTICS.md 2-5): validated in the
// specified order, applied only when every check passed, stored before the answer.
#include <algorithm>

#include "core/credential_data.h"
#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

Event UserChange(ChangeOperation op, UserIndex user, const Actor& actor) {
  Event e = ChangeEvent(DataType::kUser, op, actor);
  e.user = IndexOrAll{user, false};
  return e;
}

Event CredentialChange(CredentialRef ref, ChangeOperation op, UserIndex user, const Actor& actor) {
  Event e = ChangeEvent(DataTypeOf(ref.type), op, actor);
  e.user = IndexOrAll{user, false};
  e.index = IndexOrAll{ref.index, false};
  return e;
}

Status CheckName(const std::optional<std::string>& name, uint32_t max_length) {
  if (!name) return Status::Ok();
  const auto length = Utf8Length(*name);
  if (!length) return Status::Invalid("name: is not valid UTF-8");
  if (*length > max_length) {
    return Status::Invalid("name: has " + std::to_string(*length) + " characters; at most " +
                           std::to_string(max_length));
  }
  return Status::Ok();
}

template <typename Schedule>
std::optional<uint32_t> LowestFreeIndex(const std::vector<Schedule>& list, uint32_t max_index) {
  for (uint32_t i = 1; i <= max_index; ++i) {
    if (std::none_of(list.begin(), list.end(), [i](const Schedule& s) { return s.index == i; })) return i;
  }
  return std::nullopt;
}

// Inserts or replaces by index, keeping the list sorted; true if it replaced one.
template <typename Schedule>
bool Upsert(std::vector<Schedule>& list, const Schedule& schedule) {
  auto it = std::lower_bound(list.begin(), list.end(), schedule.index,
                             [](const Schedule& s, uint32_t index) { return s.index < index; });
  if (it != list.end() && it->index == schedule.index) {
    *it = schedule;
    return true;
  }
  list.insert(it, schedule);
  return false;
}

// The field names differ: a user's own "status" and "type", a credential's "user_status" and
// "user_type" (for the user it creates).
Status CheckUserEnums(const std::optional<UserStatus>& status, const std::optional<UserType>& type,
                      const std::optional<CredentialRule>& rule, std::string_view prefix) {
  if (status && !IsValid(*status)) return Status::Invalid(std::string(prefix) + "status: must be enabled or disabled");
  if (type && !IsValid(*type)) return Status::Invalid(std::string(prefix) + "type: is not a known user type");
  if (rule && !IsValid(*rule)) return Status::Invalid("credential_rule: must be single, dual or tri");
  return Status::Ok();
}

}  // namespace

Status Lock::Impl::CheckUserIndex(uint32_t index, std::string_view field) const {
  if (index < 1 || index > config_.capabilities.max_users) {
    return Status::Invalid(std::string(field) + ": user index " + std::to_string(index) + " is outside 1.." +
                           std::to_string(config_.capabilities.max_users));
  }
  return Status::Ok();
}

User* Lock::Impl::FindUser(UserIndex index) {
  const auto it = users_.find(index);
  return it == users_.end() ? nullptr : &it->second;
}

void Lock::Impl::EraseUser(UserIndex index) {
  const auto it = users_.find(index);
  if (it == users_.end()) return;
  for (const CredentialRef& ref : it->second.credentials) {
    credentials_.Erase(ref);
    Stage(WriteBatch::DeleteCredential{ref});
  }
  if (programming_user_ == index) programming_user_.reset();
  if (pending_ && pending_->user == index) pending_.reset();
  std::erase_if(expiring_deadlines_, [index](const auto& entry) { return entry.second == index; });
  users_.erase(it);
  user_slots_.Release(index);
  Stage(WriteBatch::DeleteUser{index});
}

void Lock::Impl::EraseCredential(const StoredCredential& credential, const Actor& actor) {
  const StoredCredential copy = credential;  // `credential` lives in the table we erase from
  credentials_.Erase(copy.ref);
  Stage(WriteBatch::DeleteCredential{copy.ref});
  User* user = FindUser(copy.user);
  if (user == nullptr) return;
  std::erase(user->credentials, copy.ref);
  if (user->credentials.empty()) {
    EraseUser(copy.user);
    Record(UserChange(ChangeOperation::kClear, copy.user, actor));
  } else {
    user->modified_by = ActorName(actor);
    user->modified_at_ms = Wall();
    StageUser(*user);
  }
}

void Lock::Impl::SetUserStatus(User& user, UserStatus status, Source source) {
  user.status = status;
  user.modified_by = std::string(ToString(source));
  user.modified_at_ms = Wall();
  if (status == UserStatus::kDisabled) {
    const UserIndex index = user.index;
    std::erase_if(expiring_deadlines_, [index](const auto& entry) { return entry.second == index; });
  }
  StageUser(user);
  Record(UserChange(ChangeOperation::kModify, user.index, Actor{source, {}, false}));
}

// --- settings --------------------------------------------------------------------------------

Result<Settings> Lock::UpdateSettings(const SettingsPatch& patch, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  auto next = ApplySettingsPatch(m.settings_, patch, *m.env_.zones);
  LATCHKEY_TRY(next);
  const OperatingMode old_setting = m.settings_.operating_mode;
  if (next->operating_mode == OperatingMode::kPrivacy && old_setting != OperatingMode::kPrivacy &&
      m.rt_.lock_state != LockState::kLocked) {
    return Status::Invalid("operating_mode: privacy may be entered only while locked");
  }
  const OperatingMode before = m.effective_mode_;
  m.settings_ = next.value();
  m.Stage(WriteBatch::PutSettings{m.settings_});
  m.Record(ChangeEvent(DataType::kSettings, ChangeOperation::kModify, actor));
  m.effective_mode_ = m.EffectiveMode();
  if (old_setting != OperatingMode::kLockdown && m.settings_.operating_mode == OperatingMode::kLockdown) {
    m.Record(AlarmEvent(AlarmKind::kLockdown));
  }
  m.OnModeChange(before, m.effective_mode_, actor.source);
  LATCHKEY_TRY(m.Commit());
  return m.settings_;
}

// --- users -----------------------------------------------------------------------------------

Result<User> Lock::AddUser(const UserRequest& request, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (request.index) {
    LATCHKEY_TRY(m.CheckUserIndex(*request.index, "index"));
  }
  LATCHKEY_TRY(CheckUserEnums(request.status, request.type, request.credential_rule, ""));
  if (request.type == UserType::kProgramming) {
    return Status::Invalid("type: the programming user is created by adding the programming PIN");
  }
  LATCHKEY_TRY(CheckName(request.name, m.config_.capabilities.max_user_name_length));
  UserIndex index;
  if (request.index) {
    if (m.FindUser(*request.index) != nullptr) {
      return Status::Occupied("user " + std::to_string(*request.index) + " exists");
    }
    index = *request.index;
  } else {
    const auto free = m.user_slots_.LowestFree();
    if (!free) return Status::ResourceExhausted("every user slot is taken");
    index = static_cast<UserIndex>(*free);
  }
  User user;
  user.index = index;
  user.name = request.name.value_or("");
  user.unique_id = request.unique_id;
  user.status = request.status.value_or(UserStatus::kEnabled);
  user.type = request.type.value_or(UserType::kUnrestricted);
  user.credential_rule = request.credential_rule.value_or(CredentialRule::kSingle);
  user.created_by = user.modified_by = m.ActorName(actor);
  user.created_at_ms = user.modified_at_ms = m.Wall();
  m.user_slots_.Take(index);
  auto [it, inserted] = m.users_.emplace(index, user);
  m.StageUser(user);
  m.Record(UserChange(ChangeOperation::kAdd, index, actor));
  LATCHKEY_TRY(m.Commit());
  return it->second;
}

Result<User> Lock::ModifyUser(const UserRequest& request, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (!request.index) return Status::Invalid("index: is required to modify a user");
  LATCHKEY_TRY(m.CheckUserIndex(*request.index, "index"));
  LATCHKEY_TRY(CheckUserEnums(request.status, request.type, request.credential_rule, ""));
  LATCHKEY_TRY(CheckName(request.name, m.config_.capabilities.max_user_name_length));
  User* user = m.FindUser(*request.index);
  if (user == nullptr) return Status::NotFound("user " + std::to_string(*request.index) + " does not exist");
  if (request.type && *request.type != user->type &&
      (*request.type == UserType::kProgramming || user->type == UserType::kProgramming)) {
    return Status::Invalid("type: the programming user's type cannot be given or taken");
  }
  if (request.name) user->name = *request.name;
  if (request.unique_id) user->unique_id = request.unique_id;
  if (request.status) user->status = *request.status;
  if (request.type && *request.type != user->type) {
    user->type = *request.type;
    user->expires_at_ms.reset();
  }
  if (request.credential_rule) user->credential_rule = *request.credential_rule;
  const UserIndex index = user->index;
  if (user->status == UserStatus::kDisabled || !user->expires_at_ms) {
    std::erase_if(m.expiring_deadlines_, [index](const auto& entry) { return entry.second == index; });
  }
  user->modified_by = m.ActorName(actor);
  user->modified_at_ms = m.Wall();
  m.StageUser(*user);
  m.Record(UserChange(ChangeOperation::kModify, index, actor));
  LATCHKEY_TRY(m.Commit());
  return *m.FindUser(index);
}

Result<User> Lock::GetUser(UserIndex index) const {
  LATCHKEY_TRY(impl_->CheckUserIndex(index, "index"));
  const auto it = impl_->users_.find(index);
  if (it == impl_->users_.end()) return Status::NotFound("user " + std::to_string(index) + " does not exist");
  return it->second;
}

std::vector<User> Lock::ListUsers() const {
  std::vector<User> out;
  out.reserve(impl_->users_.size());
  for (const auto& [index, user] : impl_->users_) out.push_back(user);
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.index < b.index; });
  return out;
}

Status Lock::ClearUser(UserIndex index, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  LATCHKEY_TRY(m.CheckUserIndex(index, "index"));
  if (m.FindUser(index) == nullptr) return Status::NotFound("user " + std::to_string(index) + " does not exist");
  m.EraseUser(index);
  m.Record(UserChange(ChangeOperation::kClear, index, actor));
  return m.Commit();
}

Status Lock::ClearAllUsers(const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  std::vector<UserIndex> all;
  for (const auto& [index, user] : m.users_) all.push_back(index);
  for (UserIndex index : all) m.EraseUser(index);
  Event e = ChangeEvent(DataType::kUser, ChangeOperation::kClear, actor);
  e.user = IndexOrAll::All();
  m.Record(std::move(e));
  return m.Commit();
}

// --- credentials -----------------------------------------------------------------------------

namespace {

Status CheckCredentialSlot(CredentialType type, std::optional<CredentialIndex> index, const Capabilities& caps) {
  if (!IsValid(type) || !Capabilities::SupportsType(type)) {
    return Status::Invalid("type: " + std::string(ToString(type)) + " is not a supported credential type");
  }
  if (type == CredentialType::kProgrammingPin) {
    if (index && *index != 0) return Status::Invalid("index: the programming PIN lives at index 0 only");
    return Status::Ok();
  }
  if (index && (*index < 1 || *index > caps.credential_slots())) {
    return Status::Invalid("index: credential index " + std::to_string(*index) + " is outside 1.." +
                           std::to_string(caps.credential_slots()));
  }
  return Status::Ok();
}

}  // namespace

Result<CredentialResult> Lock::AddCredential(const CredentialRequest& request, const Actor& actor) {
  Impl& m = *impl_;
  const Capabilities& caps = m.config_.capabilities;
  LATCHKEY_TRY(m.CheckFault());
  const bool programming = request.type == CredentialType::kProgrammingPin;
  // 1. type, index, data
  LATCHKEY_TRY(CheckCredentialSlot(request.type, request.index, caps));
  LATCHKEY_TRY(CheckUserEnums(request.user_status, request.user_type, std::nullopt, "user_"));
  LATCHKEY_TRY(ValidateCredentialData(request.type, request.data, caps));
  if (request.user) {
    LATCHKEY_TRY(m.CheckUserIndex(*request.user, "user"));
  }
  // 2. the same data anywhere
  const Digest digest = m.env_.crypto->KeyedDigest(DigestInput(request.type, request.data));
  if (m.credentials_.FindByDigest(digest) != nullptr) {
    return Status::Duplicate("this " + std::string(ToString(request.type)) + " is already stored");
  }
  // 3. the slot
  CredentialIndex index;
  if (request.index || programming) {
    index = programming ? 0 : *request.index;
    if (m.credentials_.Find({request.type, index}) != nullptr) {
      return Status::Occupied(std::string(ToString(request.type)) + " " + std::to_string(index) + " is taken");
    }
  } else {
    const auto free = m.credentials_.LowestFree(request.type);
    if (!free) return Status::ResourceExhausted("every " + std::string(ToString(request.type)) + " slot is taken");
    index = *free;
  }
  // 4./5. the owner
  User* owner = nullptr;
  bool new_user = false;
  if (programming) {
    if (request.user || request.user_type || request.user_status) {
      const char* field = request.user ? "user" : request.user_type ? "user_type" : "user_status";
      return Status::Invalid(std::string(field) + ": the programming PIN names no user, user_type or user_status");
    }
    if (m.programming_user_) owner = m.FindUser(*m.programming_user_);
  } else if (request.user) {
    owner = m.FindUser(*request.user);
    if (owner == nullptr) return Status::NotFound("user " + std::to_string(*request.user) + " does not exist");
    if (request.user_type || request.user_status) {
      return Status::Invalid(std::string(request.user_type ? "user_type" : "user_status") +
                             ": user_type and user_status go only with a new user, not with user");
    }
    if (owner->credentials.size() >= caps.credentials_per_user) {
      return Status::ResourceExhausted("user " + std::to_string(*request.user) + " holds " +
                                       std::to_string(caps.credentials_per_user) + " credentials already");
    }
  } else if (request.user_type == UserType::kProgramming) {
    return Status::Invalid("user_type: programming comes only with the programming PIN");
  }
  if (owner == nullptr) {
    const auto free = m.user_slots_.LowestFree();
    if (!free) return Status::ResourceExhausted("every user slot is taken");
    User user;
    user.index = static_cast<UserIndex>(*free);
    user.type = programming ? UserType::kProgramming : request.user_type.value_or(UserType::kUnrestricted);
    user.status = request.user_status.value_or(UserStatus::kEnabled);
    user.created_by = user.modified_by = m.ActorName(actor);
    user.created_at_ms = user.modified_at_ms = m.Wall();
    m.user_slots_.Take(user.index);
    if (programming) m.programming_user_ = user.index;
    owner = &m.users_.emplace(user.index, std::move(user)).first->second;
    new_user = true;
  }
  StoredCredential credential;
  credential.ref = {request.type, index};
  credential.user = owner->index;
  credential.digest = digest;
  credential.created_by = m.ActorName(actor);
  credential.created_at_ms = m.Wall();
  m.credentials_.Put(credential);
  owner->credentials.push_back(credential.ref);
  if (!new_user) {
    owner->modified_by = m.ActorName(actor);
    owner->modified_at_ms = m.Wall();
  }
  m.StageUser(*owner);
  m.Stage(WriteBatch::PutCredential{credential});
  if (new_user) m.Record(UserChange(ChangeOperation::kAdd, owner->index, actor));
  m.Record(CredentialChange(credential.ref, ChangeOperation::kAdd, owner->index, actor));
  LATCHKEY_TRY(m.Commit());
  return CredentialResult{credential.ref, credential.user, m.credentials_.LowestFree(request.type)};
}

Result<CredentialResult> Lock::ModifyCredential(CredentialRef ref, std::string_view data,
                                                std::optional<UserIndex> user, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  LATCHKEY_TRY(CheckCredentialSlot(ref.type, ref.index, m.config_.capabilities));
  LATCHKEY_TRY(ValidateCredentialData(ref.type, data, m.config_.capabilities));
  const StoredCredential* existing = m.credentials_.Find(ref);
  if (existing == nullptr) {
    return Status::NotFound(std::string(ToString(ref.type)) + " " + std::to_string(ref.index) + " is empty");
  }
  const Digest digest = m.env_.crypto->KeyedDigest(DigestInput(ref.type, data));
  const StoredCredential* holder = m.credentials_.FindByDigest(digest);
  if (holder != nullptr && !(holder->ref == ref)) {
    return Status::Duplicate("this " + std::string(ToString(ref.type)) + " is already stored");
  }
  if (user && *user != existing->user) {
    return Status::Occupied(std::string(ToString(ref.type)) + " " + std::to_string(ref.index) +
                            " belongs to another user");
  }
  StoredCredential updated = *existing;
  if (holder == nullptr) {  // new data; the same data again changes nothing
    updated.digest = digest;
    m.credentials_.Put(updated);
    m.Stage(WriteBatch::PutCredential{updated});
    m.Record(CredentialChange(ref, ChangeOperation::kModify, updated.user, actor));
    LATCHKEY_TRY(m.Commit());
  }
  return CredentialResult{ref, updated.user, m.credentials_.LowestFree(ref.type)};
}

Result<StoredCredential> Lock::GetCredential(CredentialRef ref) const {
  LATCHKEY_TRY(CheckCredentialSlot(ref.type, ref.index, impl_->config_.capabilities));
  const StoredCredential* found = impl_->credentials_.Find(ref);
  if (found == nullptr) {
    return Status::NotFound(std::string(ToString(ref.type)) + " " + std::to_string(ref.index) + " is empty");
  }
  return *found;
}

std::vector<StoredCredential> Lock::ListCredentials(std::optional<CredentialType> type) const {
  return impl_->credentials_.List(type);
}

std::optional<CredentialIndex> Lock::NextFreeIndex(CredentialType type) const {
  return impl_->credentials_.LowestFree(type);
}

Status Lock::ClearCredential(CredentialRef ref, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (ref.type == CredentialType::kProgrammingPin) {
    return Status::Invalid("type: the programming PIN can only be modified");
  }
  LATCHKEY_TRY(CheckCredentialSlot(ref.type, ref.index, m.config_.capabilities));
  const StoredCredential* existing = m.credentials_.Find(ref);
  if (existing == nullptr) return Status::Ok();
  const UserIndex owner = existing->user;
  m.Record(CredentialChange(ref, ChangeOperation::kClear, owner, actor));
  m.EraseCredential(*existing, actor);
  return m.Commit();
}

Status Lock::ClearCredentials(std::optional<CredentialType> type, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (type == CredentialType::kProgrammingPin) return Status::Invalid("type: the programming PIN can only be modified");
  if (type && (!IsValid(*type) || !Capabilities::SupportsType(*type))) {
    return Status::Invalid("type: " + std::string(ToString(*type)) + " is not a supported credential type");
  }
  for (CredentialType t : {CredentialType::kPin, CredentialType::kRfid, CredentialType::kFingerprint,
                           CredentialType::kFace}) {
    if (type && *type != t) continue;
    Event e = ChangeEvent(DataTypeOf(t), ChangeOperation::kClear, actor);
    e.index = IndexOrAll::All();
    m.Record(std::move(e));
    for (const StoredCredential& credential : m.credentials_.List(t)) m.EraseCredential(credential, actor);
  }
  return m.Commit();
}

// --- schedules -------------------------------------------------------------------------------

namespace {

Event ScheduleChange(DataType type, ChangeOperation op, UserIndex user, std::optional<uint32_t> index,
                     const Actor& actor) {
  Event e = ChangeEvent(type, op, actor);
  if (user != 0) e.user = IndexOrAll{user, false};
  e.index = index ? IndexOrAll{*index, false} : IndexOrAll::All();
  return e;
}

}  // namespace

Result<WeekDaySchedule> Lock::SetWeekDaySchedule(UserIndex user_index, WeekDaySchedule schedule,
                                                 const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  LATCHKEY_TRY(m.CheckUserIndex(user_index, "user"));
  const uint32_t max_index = m.config_.capabilities.week_day_schedules_per_user;
  WeekDaySchedule probe = schedule;
  if (probe.index == 0) probe.index = 1;  // validate the rest before choosing an index
  LATCHKEY_TRY(ValidateWeekDay(probe, max_index));
  User* user = m.FindUser(user_index);
  if (user == nullptr) return Status::NotFound("user " + std::to_string(user_index) + " does not exist");
  if (schedule.index == 0) {
    const auto free = LowestFreeIndex(user->week_day_schedules, max_index);
    if (!free) return Status::ResourceExhausted("every week_day schedule of the user is taken");
    schedule.index = *free;
  }
  const bool replaced = Upsert(user->week_day_schedules, schedule);
  m.StageUser(*user);
  m.Record(ScheduleChange(DataType::kWeekDaySchedule, replaced ? ChangeOperation::kModify : ChangeOperation::kAdd,
                          user_index, schedule.index, actor));
  LATCHKEY_TRY(m.Commit());
  return schedule;
}

Result<YearDaySchedule> Lock::SetYearDaySchedule(UserIndex user_index, YearDaySchedule schedule,
                                                 const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  LATCHKEY_TRY(m.CheckUserIndex(user_index, "user"));
  const uint32_t max_index = m.config_.capabilities.year_day_schedules_per_user;
  YearDaySchedule probe = schedule;
  if (probe.index == 0) probe.index = 1;
  LATCHKEY_TRY(ValidateYearDay(probe, max_index));
  User* user = m.FindUser(user_index);
  if (user == nullptr) return Status::NotFound("user " + std::to_string(user_index) + " does not exist");
  if (schedule.index == 0) {
    const auto free = LowestFreeIndex(user->year_day_schedules, max_index);
    if (!free) return Status::ResourceExhausted("every year_day schedule of the user is taken");
    schedule.index = *free;
  }
  const bool replaced = Upsert(user->year_day_schedules, schedule);
  m.StageUser(*user);
  m.Record(ScheduleChange(DataType::kYearDaySchedule, replaced ? ChangeOperation::kModify : ChangeOperation::kAdd,
                          user_index, schedule.index, actor));
  LATCHKEY_TRY(m.Commit());
  return schedule;
}

Status Lock::ClearSchedule(UserIndex user_index, ScheduleKind kind, std::optional<uint32_t> index,
                           const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  LATCHKEY_TRY(m.CheckUserIndex(user_index, "user"));
  const bool week = kind == ScheduleKind::kWeekDay;
  const uint32_t max_index = week ? m.config_.capabilities.week_day_schedules_per_user
                                  : m.config_.capabilities.year_day_schedules_per_user;
  if (index && (*index < 1 || *index > max_index)) {
    return Status::Invalid("index: " + std::string(week ? "week_day" : "year_day") + " schedule index " +
                           std::to_string(*index) + " is outside 1.." + std::to_string(max_index));
  }
  User* user = m.FindUser(user_index);
  if (user == nullptr) return Status::NotFound("user " + std::to_string(user_index) + " does not exist");
  const auto matches = [&](uint32_t i) { return !index || i == *index; };
  const std::size_t removed =
      week ? std::erase_if(user->week_day_schedules, [&](const auto& s) { return matches(s.index); })
           : std::erase_if(user->year_day_schedules, [&](const auto& s) { return matches(s.index); });
  if (removed == 0) return Status::Ok();
  m.StageUser(*user);
  m.Record(ScheduleChange(week ? DataType::kWeekDaySchedule : DataType::kYearDaySchedule,
                          ChangeOperation::kClear, user_index, index, actor));
  return m.Commit();
}

Result<HolidaySchedule> Lock::SetHoliday(HolidaySchedule holiday, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  const uint32_t max_index = m.config_.capabilities.holiday_schedules;
  HolidaySchedule probe = holiday;
  if (probe.index == 0) probe.index = 1;
  LATCHKEY_TRY(ValidateHoliday(probe, max_index));
  if (holiday.index == 0) {
    for (uint32_t i = 1; i <= max_index && holiday.index == 0; ++i) {
      if (!m.holidays_.contains(i)) holiday.index = i;
    }
    if (holiday.index == 0) return Status::ResourceExhausted("every holiday schedule is taken");
  }
  const bool replaced = m.holidays_.contains(holiday.index);
  m.holidays_[holiday.index] = holiday;
  m.Stage(WriteBatch::PutHoliday{holiday});
  m.Record(ScheduleChange(DataType::kHolidaySchedule, replaced ? ChangeOperation::kModify : ChangeOperation::kAdd,
                          0, holiday.index, actor));
  m.ProcessTimers();  // the holiday may apply now
  LATCHKEY_TRY(m.Commit());
  return holiday;
}

Status Lock::ClearHoliday(std::optional<uint32_t> index, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  const uint32_t max_index = m.config_.capabilities.holiday_schedules;
  if (index && (*index < 1 || *index > max_index)) {
    return Status::Invalid("index: holiday index " + std::to_string(*index) + " is outside 1.." +
                           std::to_string(max_index));
  }
  std::vector<uint32_t> gone;
  for (const auto& [i, holiday] : m.holidays_) {
    if (!index || i == *index) gone.push_back(i);
  }
  if (gone.empty()) return Status::Ok();
  for (uint32_t i : gone) {
    m.holidays_.erase(i);
    m.Stage(WriteBatch::DeleteHoliday{i});
  }
  m.Record(ScheduleChange(DataType::kHolidaySchedule, ChangeOperation::kClear, 0, index, actor));
  m.ProcessTimers();
  return m.Commit();
}

std::vector<HolidaySchedule> Lock::ListHolidays() const {
  std::vector<HolidaySchedule> out;
  for (const auto& [i, holiday] : impl_->holidays_) out.push_back(holiday);
  return out;
}

}  // namespace latchkey::core

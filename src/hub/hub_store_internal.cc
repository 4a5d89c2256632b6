#include "hub/hub_store_internal.h"

#include <utility>

namespace latchkey::hub::hub_store_internal {

Status Failure(std::string_view what, const std::exception& e) {
  return Status::IoError(std::string(what) + ": " + e.what());
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool IsRole(std::string_view role) { return OneOf(role, {"owner", "admin", "member", "guest"}); }

Result<std::string> Dump(const Json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    return Status::Invalid(std::string(what) + ": cannot be stored as JSON: " + e.what());
  }
}

Result<std::string> DumpList(const std::vector<std::string>& list, std::string_view what) {
  try {
    return Dump(Json(list), what);
  } catch (const std::exception& e) {
    return Status::Invalid(std::string(what) + ": " + e.what());
  }
}

Result<std::optional<std::string>> DumpOptionalList(const std::optional<std::vector<std::string>>& list,
                                                    std::string_view what) {
  if (!list) return std::optional<std::string>();
  auto text = DumpList(*list, what);
  LATCHKEY_TRY(text);
  return std::optional<std::string>(std::move(text).value());
}

std::optional<int64_t> ColumnOptionalInt(const Statement& st, int column) {
  if (st.ColumnIsNull(column)) return std::nullopt;
  return st.ColumnInt64(column);
}

std::optional<std::string> ColumnOptionalText(const Statement& st, int column) {
  if (st.ColumnIsNull(column)) return std::nullopt;
  return std::string(st.ColumnText(column));
}

Result<Json> ColumnJson(const Statement& st, int column, const std::string& where) {
  const std::string_view text = st.ColumnText(column);
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::IoError(where + ": stored JSON is not valid");
  return json;
}

Result<std::optional<std::vector<std::string>>> ColumnList(const Statement& st, int column, const std::string& where) {
  if (st.ColumnIsNull(column)) return std::optional<std::vector<std::string>>();
  auto json = ColumnJson(st, column, where);
  LATCHKEY_TRY(json);
  if (!json->is_array()) return Status::IoError(where + ": stored list is not an array");
  std::vector<std::string> out;
  for (const Json& item : *json) {
    if (!item.is_string()) return Status::IoError(where + ": stored list holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace latchkey::hub::hub_store_internal

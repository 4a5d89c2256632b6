// HubStore: offline guest codes (OFFLINE-CODES.md): schema version 4 and its queries.
#include "hub/hub_store_internal.h"

namespace latchkey::hub {
namespace hub_store_internal {

// Version 4. Placeholder until the offline-code tables land: a step that changes nothing.
const std::string_view kSchemaV4OfflineCodes = "SELECT 1;";

}  // namespace hub_store_internal
}  // namespace latchkey::hub

// The Matter bridge as the hub's API shows it (SMART-HOME.md section 1; docs/integrations.md):
// GET /api/v1/integrations/matter, POST .../commissioning, DELETE .../fabrics/{index}, for owner
// and admin. The bridge is a sidecar process (integrations/matter) that the hub supervises; this
// is the hub's narrow view of it, set by whoever started it (Hub::set_matter), absent while
// Matter is off.
#pragma once

#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

namespace latchkey::hub {

class MatterControl {
 public:
  // An HTTP status and the API's JSON body.
  using Done = std::function<void(unsigned status, nlohmann::json body)>;
  virtual ~MatterControl() = default;
  // {"enabled": true, "running", "pairing_code", "qr_payload", "commissioned_fabrics": [{"index",
  // "label", "vendor_id"}]}; while the sidecar is down, {"enabled": true, "running": false, ...}.
  virtual void Status(Done done) = 0;
  // A new commissioning window (a second ecosystem): the status with the code to use.
  virtual void OpenCommissioning(Done done) = 0;
  virtual void RemoveFabric(uint64_t index, Done done) = 0;
};

}  // namespace latchkey::hub

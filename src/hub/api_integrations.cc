// /api/v1/integrations/matter (owner and admin): the Matter bridge's pairing code, QR payload and
// fabrics, a new commissioning window, removing a fabric. The hub answers for a bridge that is off;
// otherwise it asks the bridge (hub/matter_control.h).
#include "hub/api.h"
#include "hub/matter_control.h"

namespace latchkey::hub {
namespace {

void Admin(const IntegrationRoutes& ctx, HttpRequest& request, Respond& respond,
           const std::function<void(MatterControl*)>& then) {
  api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
    if (!p.MayManageLock()) return respond(api::Forbidden("only the owner and admins manage integrations"));
    then(*ctx.matter);
  });
}

MatterControl::Done Answer(Respond respond) {
  return [respond = std::move(respond)](unsigned status, Json body) { respond(HttpResponse::Json(status, body)); };
}

HttpResponse NotEnabled() {
  return HttpResponse::Error(409, "not_enabled", "the Matter bridge is off: [matter] enabled = true, or --matter");
}

}  // namespace

void RegisterIntegrationRoutes(IntegrationRoutes ctx, Router& router) {
  const std::string base = "/api/v1/integrations/matter";
  router.Add(http::verb::get, base, [ctx](HttpRequest& request, Respond respond) {
    Admin(ctx, request, respond, [&](MatterControl* matter) {
      if (matter == nullptr) return respond(HttpResponse::Json(200, Json{{"enabled", false}, {"running", false}}));
      matter->Status(Answer(respond));
    });
  });
  router.Add(http::verb::post, base + "/commissioning", [ctx](HttpRequest& request, Respond respond) {
    Admin(ctx, request, respond, [&](MatterControl* matter) {
      if (matter == nullptr) return respond(NotEnabled());
      matter->OpenCommissioning(Answer(respond));
    });
  });
  router.Add(http::verb::delete_, base + "/fabrics/{index}", [ctx](HttpRequest& request, Respond respond) {
    Admin(ctx, request, respond, [&](MatterControl* matter) {
      const std::string& text = request.params.at("index");
      if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) {
        return respond(HttpResponse::Error(400, "invalid", "index: must be a fabric index (1..254)"));
      }
      if (matter == nullptr) return respond(NotEnabled());
      matter->RemoveFabric(std::stoull(text), Answer(respond));
    });
  });
}

}  // namespace latchkey::hub

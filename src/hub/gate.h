// What every route group needs before anything else: the hub's clock, and who is calling. The
// directory answers a request's token; the CSRF key guards the web app's cookie sessions
// (api::Authenticated checks both).
#pragma once

#include "hub/cookie_session.h"
#include "hub/directory.h"
#include "hub/env.h"

namespace latchkey::hub {

struct Gate {
  Env& env;
  Directory& directory;
  const CsrfKey& csrf_key;
};

}  // namespace latchkey::hub

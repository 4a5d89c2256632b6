// Hub::IntegrationClient and IntegrationToken: an integration's account and token, and a HubClient
// in this process. Requests go through the router exactly as
// an HTTP request with the token in its Authorization header would (from 127.0.0.1), and the
// stream through Stream::Watch (the filter of every WebSocket client).
#include <spdlog/spdlog.h>

#include "hub/auth.h"
#include "hub/hub.h"
#include "hub/stream.h"

namespace latchkey::hub {
namespace {

class LocalClient : public HubClient {
 public:
  LocalClient(const Router& router, Stream& stream, std::string username, std::string token)
      : router_(router), stream_(stream), username_(std::move(username)), token_(std::move(token)) {}

  void Call(http::verb method, std::string path, Json body, std::function<void(Answer)> done) override {
    HttpRequest request;
    request.method = method;
    request.path = std::move(path);
    if (!body.is_null()) request.body = body.dump();
    request.client_address = "127.0.0.1";
    request.headers.set(http::field::authorization, "Bearer " + token_);
    request.headers.set(http::field::content_type, "application/json");
    router_.Dispatch(request, [done = std::move(done)](HttpResponse response) {
      Answer answer{response.status, Json::parse(response.body, nullptr, /*allow_exceptions=*/false)};
      if (answer.body.is_discarded()) answer.body = nullptr;
      done(std::move(answer));
    });
  }

  std::shared_ptr<void> Watch(std::function<void(const Json&)> on_message) override {
    auto watch = stream_.Watch(HashToken(token_), std::move(on_message));
    if (!watch.ok()) {
      spdlog::warn("hub: the stream refuses {}: {}", username_, watch.status().message());
      return nullptr;
    }
    return std::move(watch).value();
  }

  const std::string& username() const override { return username_; }

 private:
  const Router& router_;
  Stream& stream_;
  std::string username_;
  std::string token_;
};

}  // namespace

core::Result<std::unique_ptr<HubClient>> Hub::IntegrationClient(const std::string& name,
                                                                const std::optional<std::vector<std::string>>& locks) {
  auto token = IntegrationToken(name, locks);
  LATCHKEY_TRY(token);
  return std::unique_ptr<HubClient>(std::make_unique<LocalClient>(router_, *stream_, name, std::move(token).value()));
}

core::Result<std::string> Hub::IntegrationToken(const std::string& name,
                                                const std::optional<std::vector<std::string>>& locks) {
  if (!IsIntegrationAccount(name)) return core::Status::Invalid("'" + name + "' is not an integration's account");
  auto existing = store_->GetAccount(name);
  LATCHKEY_TRY(existing);
  if (!*existing) {
    // A password of 32 random bytes that is never kept: the account cannot log in.
    auto hash = HashPassword(RandomId(env_, 32));
    if (!hash) return core::Status::IoError("cannot hash a password");
    Account account;
    account.username = name;
    account.password_hash = *hash;
    account.role = "admin";
    account.created_at_ms = NowMs();
    LATCHKEY_TRY(store_->PutAccount(account));
    spdlog::info("hub: made the account '{}' for its integration (role admin, every lock)", name);
  } else if ((*existing)->role == "owner") {
    return core::Status::Invalid("the integration '" + name + "' cannot act as the owner's account");
  }
  LATCHKEY_TRY(store_->DeleteTokensOf(name));
  const NewToken token = MakeToken(env_);
  TokenRecord record;
  record.id = RandomId(env_);
  record.username = name;
  record.kind = "api";
  record.name = "integration";
  record.locks = locks;  // narrower than the account's list, never wider (Directory intersects them)
  record.created_at_ms = NowMs();
  LATCHKEY_TRY(store_->PutToken(record, token.hash));
  return token.token;
}

}  // namespace latchkey::hub

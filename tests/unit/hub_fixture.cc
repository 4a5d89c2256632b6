#include "hub_fixture.h"

#include <chrono>
#include <optional>
#include <string_view>

namespace latchkey::hub::testing {

void HubFixture::StartHub() {
  hub_.reset();
  HubOptions options;
  options.data_dir = dir_;
  options.http = "127.0.0.1:0";
  options.owner_password = kOwnerPassword;
  Configure(options);
  hub_ = std::make_unique<Hub>(io_, options, env_);
  const core::Status s = hub_->Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void HubFixture::StartAsOwner(std::initializer_list<const char*> locks) {
  ASSERT_NO_FATAL_FAILURE(StartHub());
  for (const char* id : locks) {
    PutLock(id, id);
    ASSERT_FALSE(HasFailure()) << "the hub's store refused lock " << id;
  }
  owner_ = Login("owner", kOwnerPassword);
}

HubFixture::Answer HubFixture::Call(const std::string& method, const std::string& target, const Json& body,
                                    const std::string& token, const std::string& address) {
  HttpRequest request;
  request.method = http::string_to_verb(method);
  const auto q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view item = rest.substr(0, amp);
      const auto eq = item.find('=');
      request.query[std::string(item.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  if (!body.is_null()) request.body = body.dump();
  if (!token.empty()) request.headers.set(http::field::authorization, "Bearer " + token);
  request.client_address = address;
  std::optional<HttpResponse> response;
  hub_->router().Dispatch(request, [&](HttpResponse r) { response = std::move(r); });
  // Some answers come later (the chain check runs a page per turn of the io_context). A
  // deadline, not an idle turn, ends the wait: an answer may wait on a timer.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!response && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_one_for(std::chrono::milliseconds(50));
  }
  if (!response) return Answer{};
  return Answer{response->status, response->body.empty() ? Json() : Json::parse(response->body, nullptr, false)};
}

std::string HubFixture::Login(const std::string& username, const std::string& password, const std::string& address) {
  const Answer a = Call("POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}}, "", address);
  EXPECT_EQ(a.status, 200u) << username << ": " << a.Describe();
  return a.json.value("token", "");
}

std::string HubFixture::Owner() {
  if (owner_.empty()) owner_ = Login("owner", kOwnerPassword);
  return owner_;
}

std::string HubFixture::MakeAccount(const std::string& name, const std::string& role, const Json& extra) {
  Json body{{"username", name}, {"password", name + "-password"}, {"role", role}};
  body.update(extra);
  const Answer a = Call("POST", "/api/v1/accounts", body, Owner());
  EXPECT_EQ(a.status, 201u) << a.Describe();
  return Login(name, name + "-password");
}

LockRecord HubFixture::PutLock(const std::string& id, const std::string& name) {
  LockRecord lock;
  lock.id = id;
  lock.name = name;
  lock.address = "127.0.0.1:1";
  lock.created_at_ms = 1;
  EXPECT_TRUE(hub_->store().PutLock(lock).ok()) << id;
  return lock;
}

}  // namespace latchkey::hub::testing

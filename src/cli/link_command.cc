#include "cli/link_command.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "platform/host_port.h"
#include "link/link_client.h"
#include "store/secret_file.h"
#include "wire/json_codec.h"

namespace latchkey::cli {

namespace asio = boost::asio;
using link::Json;

void LinkCommand::Register(CLI::App& app) {
  command_ = app.add_subcommand("link", "Talk to a lock over the link as a hub would (debugging)");
  command_->add_option("--hub-data", hub_data_, "Folder for this client's hub key and paired locks");
  command_->require_subcommand(1);
  pair_ = command_->add_subcommand("pair", "Pair with a lock using its setup code");
  pair_->add_option("address", address_, "HOST:PORT of the lock")->required();
  pair_->add_option("setup-code", setup_code_, "The lock's setup code")->required();
  req_ = command_->add_subcommand("req", "Send one request and print the answer");
  req_->add_option("address", address_, "HOST:PORT of the lock")->required();
  req_->add_option("op", op_, "get_state, unlock, set_credential, sim, ...")->required();
  req_->add_option("args", args_, "JSON arguments");
  events_ = command_->add_subcommand("events", "Print the lock's events as JSON lines");
  events_->add_option("address", address_, "HOST:PORT of the lock")->required();
  events_->add_option("--after", after_, "Start after this seq");
  events_->add_flag("--follow", follow_, "Keep printing new events");
}

int LinkCommand::Run() {
  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(address_, &host, &port)) {
    std::fprintf(stderr, "link: '%s' is not HOST:PORT\n", address_.c_str());
    return 2;
  }
  std::filesystem::create_directories(hub_data_);
  ::chmod(hub_data_.c_str(), 0700);
  auto secret = store::LoadOrCreateSecret(hub_data_ + "/hub.key");
  if (!secret.ok()) {
    std::fprintf(stderr, "link: %s\n", secret.status().ToString().c_str());
    return 1;
  }
  auto keypair = crypto::KeypairFromPrivate(*secret);
  const std::string locks_path = hub_data_ + "/locks.json";
  Json locks = Json::object();
  if (std::ifstream in(locks_path); in) locks = Json::parse(in, nullptr, false);
  if (!locks.is_object()) locks = Json::object();

  link::LinkClient::Options options;
  options.host = host;
  options.port = port;
  options.hub_key = *keypair;
  options.hub_id = "latchkey-link-cli";
  options.acked_seq = after_;
  if (pair_->parsed()) {
    auto code = link::ParseSetupCode(setup_code_);
    if (!code.ok()) {
      std::fprintf(stderr, "link: %s\n", code.status().ToString().c_str());
      return 2;
    }
    options.setup_code = *code;
  } else {
    crypto::NoisePublicKey key{};
    if (!locks.contains(address_) || !wire::FromHex(locks[address_].get<std::string>(), key)) {
      std::fprintf(stderr, "link: not paired with %s; run `latchkey link pair` first\n", address_.c_str());
      return 1;
    }
    options.lock_key = key;
  }

  asio::io_context io;
  int exit_code = 1;
  std::unique_ptr<link::LinkClient> client;
  link::LinkClient::Callbacks callbacks;
  callbacks.on_ready = [&](const crypto::NoisePublicKey& lock_key, const Json& hello) {
    if (pair_->parsed()) {
      locks[address_] = wire::ToHex(lock_key);
      std::ofstream(locks_path) << locks.dump(2) << "\n";
      std::printf("paired with lock %s at %s\n", hello.value("id", "?").c_str(), address_.c_str());
      exit_code = 0;
      client->Close("done");
    } else if (req_->parsed()) {
      Json args = Json::parse(args_, nullptr, false);
      if (args.is_discarded()) {
        std::fprintf(stderr, "link: args are not JSON\n");
        client->Close("done");
        return;
      }
      client->Request(op_, args, [&](Json response) {
        std::printf("%s\n", response.dump(2).c_str());
        exit_code = response.value("ok", false) ? 0 : 1;
        client->Close("done");
      });
    }
  };
  callbacks.on_event = [&](const Json& event) {
    if (events_->parsed()) {
      std::printf("%s\n", event.dump().c_str());
      std::fflush(stdout);
    }
    return true;
  };
  callbacks.on_closed = [&](const std::string& why) {
    if (why != "done") std::fprintf(stderr, "link: %s\n", why.c_str());
    io.stop();
  };
  client = std::make_unique<link::LinkClient>(io, options, callbacks);
  client->Connect();
  if (events_->parsed() && !follow_) {
    // Without --follow: print what arrives in the first seconds, then stop.
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(2));
    timer->async_wait([&, timer](const boost::system::error_code&) {
      exit_code = 0;
      client->Close("done");
    });
  }
  io.run();
  return exit_code;
}

}  // namespace latchkey::cli

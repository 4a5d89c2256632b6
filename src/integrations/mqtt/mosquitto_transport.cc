#include "integrations/mqtt/mosquitto_transport.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <mutex>

namespace latchkey::integrations::mqtt {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

core::Result<std::unique_ptr<MosquittoTransport>> MosquittoTransport::Create(boost::asio::io_context& io,
                                                                             const MqttOptions& options,
                                                                             const std::string& client_id) {
  LATCHKEY_TRY(Validate(options));
  auto address = ParseBrokerUrl(options.url);
  LATCHKEY_TRY(address);
  InitLibraryOnce();
  std::unique_ptr<MosquittoTransport> transport(new MosquittoTransport(io, options, *address));
  // A clean session: the broker keeps nothing for the hub between connections, so no command
  // queued while it was away is delivered later (commands are never replayed).
  transport->mosq_ = mosquitto_new(client_id.c_str(), /*clean_session=*/true, transport.get());
  if (transport->mosq_ == nullptr) return core::Status::IoError("mqtt: cannot create a client");
  mosquitto *m = transport->mosq_;
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_reconnect_delay_set(m, 1, 60, /*exponential=*/true);
  if (!options.username.empty() &&
      mosquitto_username_pw_set(m, options.username.c_str(), options.password.empty() ? nullptr : options.password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    return core::Status::Invalid("mqtt: the username or password is not usable");
  }
  if (address->tls) {
    const char* ca = options.ca_file.empty() ? nullptr : options.ca_file.c_str();
    // Without a CA file, the system's store (OpenSSL's default paths).
    const int rc = ca != nullptr ? mosquitto_tls_set(m, ca, nullptr, nullptr, nullptr, nullptr)
                                 : mosquitto_tls_set(m, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return core::Status::Invalid(std::string("mqtt: TLS: ") + mosquitto_strerror(rc));
    mosquitto_tls_opts_set(m, /*SSL_VERIFY_PEER=*/1, "tlsv1.2", nullptr);
    mosquitto_tls_insecure_set(m, false);  // the broker's name must match its certificate
  }
  // The library's own errors (a refused TLS certificate, an unreachable broker) in the hub's
  // log; spdlog is safe to call from the network thread.
  mosquitto_log_callback_set(m, [](struct mosquitto*, void*, int level, const char* text) {
    if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) != 0) spdlog::warn("mqtt: {}", text);
  });
  mosquitto_connect_callback_set(m, &MosquittoTransport::OnConnect);
  mosquitto_disconnect_callback_set(m, &MosquittoTransport::OnDisconnect);
  mosquitto_message_callback_set(m, &MosquittoTransport::OnMessage);
  return transport;
}

MosquittoTransport::MosquittoTransport(boost::asio::io_context& io, MqttOptions options, BrokerAddress address)
    : io_(io), options_(std::move(options)), address_(std::move(address)) {}

MosquittoTransport::~MosquittoTransport() {
  Stop();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

void MosquittoTransport::Start(Callbacks callbacks, const std::string& will_topic, const std::string& will_payload) {
  callbacks_ = std::move(callbacks);
  mosquitto_will_set(mosq_, will_topic.c_str(), static_cast<int>(will_payload.size()), will_payload.data(), 1, true);
  // connect_async returns at once; the network thread connects, and reconnects after any loss.
  const int rc = mosquitto_connect_async(mosq_, address_.host.c_str(), address_.port, /*keepalive=*/30);
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::warn("mqtt: cannot reach {} yet ({}); retrying", options_.url, mosquitto_strerror(rc));
  }
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    spdlog::error("mqtt: cannot start the network thread");
    return;
  }
  started_ = true;
}

void MosquittoTransport::Stop() {
  if (!started_) return;
  started_ = false;
  *alive_ = false;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
}

void MosquittoTransport::Publish(const std::string& topic, const std::string& payload, bool retain) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain);
  if (rc != MOSQ_ERR_SUCCESS) spdlog::warn("mqtt: not published on {}: {}", topic, mosquitto_strerror(rc));
}

void MosquittoTransport::Subscribe(const std::string& pattern) {
  const int rc = mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), 1);
  if (rc != MOSQ_ERR_SUCCESS) spdlog::warn("mqtt: cannot subscribe to {}: {}", pattern, mosquitto_strerror(rc));
}

// The network thread's callbacks: each posts to the io thread.
void MosquittoTransport::OnConnect(struct mosquitto*, void* self, int rc) {
  auto* t = static_cast<MosquittoTransport*>(self);
  boost::asio::post(t->io_, [t, alive = t->alive_, rc] {
    if (!*alive) return;
    if (rc != 0) {
      spdlog::warn("mqtt: {} refused the connection: {}", t->options_.url, mosquitto_connack_string(rc));
      return;
    }
    if (t->callbacks_.on_connected) t->callbacks_.on_connected();
  });
}

void MosquittoTransport::OnDisconnect(struct mosquitto*, void* self, int rc) {
  auto* t = static_cast<MosquittoTransport*>(self);
  boost::asio::post(t->io_, [t, alive = t->alive_, rc] {
    if (!*alive) return;
    if (t->callbacks_.on_disconnected) t->callbacks_.on_disconnected(mosquitto_strerror(rc));
  });
}

void MosquittoTransport::OnMessage(struct mosquitto*, void* self, const struct mosquitto_message* message) {
  auto* t = static_cast<MosquittoTransport*>(self);
  MqttMessage m;
  m.topic = message->topic != nullptr ? message->topic : "";
  if (message->payload != nullptr && message->payloadlen > 0) {
    m.payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  }
  m.retained = message->retain;
  boost::asio::post(t->io_, [t, alive = t->alive_, m = std::move(m)]() mutable {
    if (!*alive) return;
    if (t->callbacks_.on_message) t->callbacks_.on_message(std::move(m));
  });
}

}  // namespace latchkey::integrations::mqtt

#include "integrations/mqtt/mqtt_options.h"

#include "platform/host_port.h"

namespace latchkey::integrations::mqtt {

core::Result<BrokerAddress> ParseBrokerUrl(const std::string& url) {
  BrokerAddress address;
  std::string rest;
  if (url.rfind("mqtt://", 0) == 0) {
    rest = url.substr(7);
    address.port = 1883;
  } else if (url.rfind("mqtts://", 0) == 0) {
    rest = url.substr(8);
    address.tls = true;
    address.port = 8883;
  } else {
    return core::Status::Invalid("mqtt url: must start with mqtt:// or mqtts://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos) {
    return core::Status::Invalid("mqtt url: must be mqtt[s]://HOST[:PORT] (user and password go in their own fields)");
  }
  // A port is there when the text after the last ':' is all digits and the host is not a bare IPv6.
  const bool bracketed = rest.front() == '[';
  const auto colon = rest.rfind(':');
  const auto close = rest.find(']');
  if (colon != std::string::npos && (!bracketed || (close != std::string::npos && colon > close))) {
    if (!platform::SplitHostPort(rest, &address.host, &address.port) || address.port == 0) {
      return core::Status::Invalid("mqtt url: the port must be 1..65535");
    }
  } else {
    address.host = rest;
  }
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty() || address.host.size() > 253) return core::Status::Invalid("mqtt url: no host");
  return address;
}

core::Status CheckTopicPrefix(const std::string& what, const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 64) return core::Status::Invalid(what + ": must be 1..64 bytes");
  if (prefix.find_first_of(std::string("+#\0", 3)) != std::string::npos) {
    return core::Status::Invalid(what + ": must not contain + # or NUL");
  }
  if (prefix.front() == '/' || prefix.back() == '/' || prefix.find("//") != std::string::npos) {
    return core::Status::Invalid(what + ": must not have an empty level");
  }
  return core::Status::Ok();
}

core::Status Validate(const MqttOptions& options) {
  LATCHKEY_TRY(ParseBrokerUrl(options.url));
  LATCHKEY_TRY(CheckTopicPrefix("mqtt base_topic", options.base_topic));
  LATCHKEY_TRY(CheckTopicPrefix("mqtt discovery_prefix", options.discovery_prefix));
  if (options.username.size() > 256 || options.password.size() > 256) {
    return core::Status::Invalid("mqtt username and password: at most 256 bytes each");
  }
  return core::Status::Ok();
}

}  // namespace latchkey::integrations::mqtt

#include "hub/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/beast/websocket.hpp>

#include "core/settings.h"

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

HttpResponse HttpResponse::Json(unsigned status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::Error(unsigned status, std::string_view code, std::string_view message,
                                 const nlohmann::json& extra) {
  nlohmann::json error{{"code", std::string(code)}, {"message", std::string(message)}};
  for (const auto& [key, value] : extra.items()) error[key] = value;
  return Json(status, nlohmann::json{{"error", error}});
}

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> UrlDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = Hex(text[i + 1]), lo = Hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  if (!core::Utf8Length(out)) return std::nullopt;
  return out;
}

void Router::Add(http::verb method, std::string pattern, Handler handler) {
  Route route{method, pattern, SplitPath(pattern), std::move(handler)};
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string>& parts,
                   std::map<std::string, std::string>* params) {
  if (route.parts.size() != parts.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = route.parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      auto decoded = UrlDecode(parts[i]);
      if (!decoded || decoded->empty()) return false;
      found[p.substr(1, p.size() - 2)] = *decoded;
    } else if (p != parts[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

void Router::Dispatch(HttpRequest& request, Respond respond) const {
  const auto parts = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route, parts, &params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    route.handler(request, std::move(respond));
    return;
  }
  if (path_known) return respond(HttpResponse::Error(405, "invalid", "method not allowed on this path"));
  if (fallback_ && (request.method == http::verb::get || request.method == http::verb::head)) {
    return fallback_(request, std::move(respond));
  }
  respond(HttpResponse::Error(404, "not_found", "no such path"));
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) out.push_back(std::string(http::to_string(r.method)) + " " + r.pattern);
  return out;
}

std::string ConnectionKey(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  if (address.is_v4()) return address.to_string();
  asio::ip::address_v6::bytes_type bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

ConnectionTable::Id ConnectionTable::Admit(const std::string& key, std::function<void()> close) {
  const std::size_t mine = count(key);
  if (mine >= max_per_key_) {
    ++refused_;
    return 0;
  }
  if (connections_.size() >= max_total_) {
    const auto victim = Victim(mine);
    if (victim == connections_.end()) {
      ++refused_;
      return 0;
    }
    Evict(victim);
  }
  const Id id = next_id_++;
  connections_.emplace(id, Connection{key, false, std::move(close)});
  ++per_key_[key];
  return id;
}

bool ConnectionTable::EvictOne() {
  const auto victim = Victim(0);
  if (victim == connections_.end()) return false;
  Evict(victim);
  return true;
}

std::map<ConnectionTable::Id, ConnectionTable::Connection>::iterator ConnectionTable::Victim(std::size_t more_than) {
  auto victim = connections_.end();
  std::size_t most = more_than;
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {  // oldest first
    if (it->second.busy) continue;
    const std::size_t n = count(it->second.key);
    if (n > most) {
      victim = it;
      most = n;
    }
  }
  return victim;
}

void ConnectionTable::Evict(std::map<Id, Connection>::iterator victim) {
  ++evicted_;
  std::function<void()> close = std::move(victim->second.close);
  Release(victim->first);
  if (close) close();
}

void ConnectionTable::SetBusy(Id id, bool busy) {
  const auto it = connections_.find(id);
  if (it != connections_.end()) it->second.busy = busy;
}

void ConnectionTable::Release(Id id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  const auto key = per_key_.find(it->second.key);
  if (key != per_key_.end() && --key->second == 0) per_key_.erase(key);
  connections_.erase(it);
}

std::size_t ConnectionTable::count(const std::string& key) const {
  const auto it = per_key_.find(key);
  return it == per_key_.end() ? 0 : it->second;
}

namespace {

// One connection: plain (Stream = beast::tcp_stream) or TLS (Stream = TlsStream). Everything
// after the handshake is the same code, so limits, errors and draining behave the same.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Stream stream, std::string address, const Router& router, const HttpServer::Upgrade& upgrade,
          std::shared_ptr<int> in_flight, const HttpServerLimits& limits, std::shared_ptr<ConnectionTable> table)
      : stream_(std::move(stream)),
        router_(router),
        upgrade_(upgrade),
        in_flight_(std::move(in_flight)),
        address_(std::move(address)),
        limits_(limits),
        table_(std::move(table)) {}

  ~Session() { table_->Release(id_); }

  Stream& stream() { return stream_; }
  // Closed by the table for a newcomer: a reset, so that the descriptor is free at once.
  void Evict() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
  }

  // `id`: the connection's slot in the table, released when the session ends.
  void Start(ConnectionTable::Id id) {
    id_ = id;
    if constexpr (!kTls) {
      ReadHeader();
    } else {
      // Peek at the first bytes: a TLS ClientHello goes on to the handshake (with what was
      // read), anything else is someone speaking plain HTTP to the HTTPS port.
      beast::get_lowest_layer(stream_).expires_after(limits_.handshake_timeout);
      beast::async_detect_ssl(beast::get_lowest_layer(stream_), buffer_,
                              [self = this->shared_from_this()](beast::error_code ec, bool is_tls) {
                                if (ec) return self->Close();
                                if (!is_tls) return self->RefusePlainHttp();
                                self->Handshake();
                              });
    }
  }

 private:
  void Handshake() {
    stream_.async_handshake(boost::asio::ssl::stream_base::server, buffer_.data(),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t used) {
                              if (ec) {
                                spdlog::debug("hub: TLS handshake with {} failed: {}", self->address_, ec.message());
                                return self->Close();
                              }
                              self->buffer_.consume(used);
                              self->ReadHeader();
                            });
  }

  // A plain answer on the HTTPS port, so that `curl http://...` says what is wrong instead of
  // failing with an empty reply. It carries nothing but this error.
  void RefusePlainHttp() {
    router_.CountResponse(400);
    auto out = std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
    out->set(http::field::content_type, "application/json");
    out->set(http::field::server, "latchkey");
    out->keep_alive(false);
    out->body() = HttpResponse::Error(400, "invalid", "this port serves HTTPS: use https://").body;
    out->prepare_payload();
    http::async_write(beast::get_lowest_layer(stream_), *out,
                      [self = this->shared_from_this(), out](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_send,
                                                                                 ignored);
                        self->buffer_.clear();
                        self->DiscardUntilClosed();
                      });
  }

  // Reads what the client still sends until it hangs up (or the handshake timer ends it): closing
  // with unread input would reset the connection and could lose the answer on its way.
  void DiscardUntilClosed() {
    beast::get_lowest_layer(stream_).async_read_some(
        buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->buffer_.clear();
          if (!ec) self->DiscardUntilClosed();
        });
  }

  // Keep-alive: waits (idle_timeout) for the first byte of the next request, unless the client
  // already sent it with the last one.
  void WaitForNextRequest() {
    table_->SetBusy(id_, false);
    if (buffer_.size() > 0) return ReadHeader();
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->ReadFailed(ec);
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  // The request's header within header_timeout, then its body within body_timeout.
  void ReadHeader() {
    parser_.emplace();
    head_ = false;
    parser_->body_limit(kMaxBody);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(limits_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->ReadFailed(ec);
      if (self->parser_->is_done()) return self->Handle();
      beast::get_lowest_layer(self->stream_).expires_after(self->limits_.body_timeout);
      http::async_read(self->stream_, self->buffer_, *self->parser_, [self](beast::error_code bec, std::size_t) {
        if (bec) return self->ReadFailed(bec);
        self->Handle();
      });
    });
  }

  void ReadFailed(const beast::error_code& ec) {
    // A broken TLS record or a peer gone without close_notify: nothing more can be said on it.
    if (kTls && (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated)) {
      return Close();
    }
    if (ec == http::error::body_limit) return Send(HttpResponse::Error(413, "too_large", "request body over 64 KiB"), false);
    // A deadline passed (beast has closed the socket), the client left, or the table evicted it.
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
      return Shutdown();
    }
    Send(HttpResponse::Error(400, "invalid", "malformed HTTP request"), false);
  }

 private:
  void Handle() {
    http::request<http::string_body> raw = parser_->release();
    table_->SetBusy(id_, true);
    if (websocket::is_upgrade(raw) && upgrade_) {
      table_->Release(id_);  // the stream counts its own
      beast::get_lowest_layer(stream_).expires_never();
      upgrade_(UpgradedStream(std::move(stream_)), std::move(raw), address_);
      return;
    }
    keep_alive_ = raw.keep_alive();
    head_ = raw.method() == http::verb::head;
    HttpRequest request;
    request.method = raw.method();
    request.client_address = address_;
    request.secure = kTls;
    request.headers = raw.base();
    const std::string target(raw.target());
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      std::string_view query(target);
      query.remove_prefix(question + 1);
      while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        auto key = UrlDecode(pair.substr(0, eq));
        auto value = UrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!key || !value) return Send(HttpResponse::Error(400, "invalid", "malformed query string"), keep_alive_);
        request.query[*key] = *value;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
    }
    request.body = std::move(raw.body());
    auto self = this->shared_from_this();
    ++*in_flight_;
    router_.Dispatch(request, [self](HttpResponse response) {
      --*self->in_flight_;
      self->Send(std::move(response), self->keep_alive_);
    });
  }

  void Send(HttpResponse response, bool keep_alive) {
    router_.CountResponse(response.status);
    auto out = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    out->set(http::field::content_type, response.content_type);
    out->set(http::field::server, "latchkey");
    out->set(http::field::cache_control, "no-store");
    // Every answer, API or app: no content sniffing, no Referer to elsewhere.
    out->set("X-Content-Type-Options", "nosniff");
    out->set("Referrer-Policy", "no-referrer");
    for (const auto& [name, value] : response.headers) {
      // A response may set several cookies; any other header replaces the default above.
      if (beast::iequals(name, "Set-Cookie")) {
        out->insert(http::field::set_cookie, value);
      } else {
        out->set(name, value);
      }
    }
    out->keep_alive(keep_alive);
    out->body() = std::move(response.body);
    out->prepare_payload();
    if (head_) {
      // HEAD: the headers of the GET answer, Content-Length included, and no body.
      const auto length = out->body().size();
      out->body().clear();
      out->content_length(length);
    }
    table_->SetBusy(id_, true);
    beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
    http::async_write(stream_, *out, [self = this->shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
      if (ec) return self->Shutdown();
      if (!keep_alive) return self->Linger();
      self->WaitForNextRequest();
    });
  }

  // After a last answer, read and drop what the client still sends (the rest of a refused 413
  // body) until it hangs up, 5 s at most: closing with unread input resets the connection, and
  // the reset can destroy the answer before the client has read it.
  void Linger() {
    table_->SetBusy(id_, false);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    if constexpr (!kTls) {
      beast::error_code ignored;
      stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    Drain();
  }

  void Drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->buffer_.clear();
      if (!ec) return self->Drain();
      if constexpr (kTls) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return self->Close();
        return self->Shutdown();
      } else {
        self->Close();
      }
    });
  }

  void Shutdown() {
    if constexpr (kTls) {
      // close_notify, then the socket; a peer that never answers it is given 5 s.
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->Close(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    }
  }

  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const Router& router_;
  const HttpServer::Upgrade& upgrade_;
  std::shared_ptr<int> in_flight_;
  std::string address_;
  const HttpServerLimits limits_;
  std::shared_ptr<ConnectionTable> table_;
  ConnectionTable::Id id_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, Upgrade upgrade, std::shared_ptr<TlsContext> tls,
                       HttpServerLimits limits)
    : io_(io),
      acceptor_(io),
      router_(router),
      upgrade_(std::move(upgrade)),
      tls_(std::move(tls)),
      limits_(limits),
      table_(std::make_shared<ConnectionTable>(limits.max_connections, limits.max_connections_per_address)),
      accept_pause_(io) {}

core::Status HttpServer::Listen(const asio::ip::tcp::endpoint& endpoint) {
  const boost::system::error_code ec = platform::OpenAcceptor(acceptor_, endpoint);
  if (ec) return core::Status::IoError("cannot listen on " + endpoint.address().to_string() + ":" +
                                       std::to_string(endpoint.port()) + ": " + ec.message());
  Accept();
  return core::Status::Ok();
}

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void HttpServer::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_pause_.cancel();
}

namespace {

// Out of file descriptors or memory: accepting again at once would fail the same way, in a loop.
bool OutOfResources(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

}  // namespace

void HttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec && OutOfResources(ec)) {
      if (!warned_accept_) spdlog::warn("hub: cannot accept connections ({}); closing idle ones", ec.message());
      warned_accept_ = true;
      // An idle connection's descriptor for the one waiting; none idle: wait a moment.
      if (table_->EvictOne()) return Accept();
      accept_pause_.expires_after(limits_.accept_backoff);
      accept_pause_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    if (!ec) {
      warned_accept_ = false;
      Admit(std::move(socket));
    }
    Accept();
  });
}

void HttpServer::Admit(asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  // A refused connection is reset rather than closed: no TIME_WAIT left behind per refusal.
  const auto refuse = [](asio::ip::tcp::socket& s) {
    boost::system::error_code ignored;
    s.set_option(asio::socket_base::linger(true, 0), ignored);
    s.close(ignored);
  };
  const auto start = [&](auto session) {
    // The table closes the socket of a connection it evicts; the session then ends on its own.
    std::weak_ptr<typename decltype(session)::element_type> weak = session;
    const ConnectionTable::Id id = table_->Admit(ConnectionKey(remote.address()), [weak] {
      if (auto s = weak.lock()) s->Evict();
    });
    if (id == 0) {
      spdlog::debug("hub: refused a connection from {} (connection cap)", remote.address().to_string());
      return refuse(beast::get_lowest_layer(session->stream()).socket());
    }
    session->Start(id);
  };
  if (tls_) {
    start(std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *tls_),
                                               remote.address().to_string(), router_, upgrade_, in_flight_, limits_,
                                               table_));
  } else {
    start(std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), remote.address().to_string(),
                                                       router_, upgrade_, in_flight_, limits_, table_));
  }
}

}  // namespace latchkey::hub

// https::request / https::get: http's ClientRequest with the TLS options attached and
// https::globalAgent() as the default agent (whose protocol, "https:", the URL must have).
#include "evnode/https.h"

namespace evnode::https {

using http::ClientRequestPtr;
using ResponseCallback = std::function<void(const http::IncomingMessagePtr&)>;

ClientRequestPtr request(RequestOptions o, ResponseCallback onResponse) {
  http::RequestOptions base = o;
  base.tls = std::make_shared<const TlsOptions>(static_cast<const TlsOptions&>(o));
  http::AgentPtr defaultAgent = globalAgent();
  return http::internal::request(std::move(base), defaultAgent, std::move(onResponse));
}

ClientRequestPtr request(std::string_view url, ResponseCallback onResponse) {
  return request(url, RequestOptions{}, std::move(onResponse));
}

ClientRequestPtr request(std::string_view url, RequestOptions o, ResponseCallback onResponse) {
  static_cast<http::RequestOptions&>(o) = http::parseUrl(url, o);
  return request(std::move(o), std::move(onResponse));
}

ClientRequestPtr request(const URL& url, ResponseCallback onResponse) {
  return request(url, RequestOptions{}, std::move(onResponse));
}

ClientRequestPtr request(const URL& url, RequestOptions o, ResponseCallback onResponse) {
  static_cast<http::RequestOptions&>(o) = http::urlToHttpOptions(url, o);
  return request(std::move(o), std::move(onResponse));
}

ClientRequestPtr get(const URL& url, ResponseCallback onResponse) {
  return get(url, RequestOptions{}, std::move(onResponse));
}

ClientRequestPtr get(const URL& url, RequestOptions o, ResponseCallback onResponse) {
  auto req = request(url, std::move(o), std::move(onResponse));
  req->end();
  return req;
}

ClientRequestPtr get(RequestOptions o, ResponseCallback onResponse) {
  auto req = request(std::move(o), std::move(onResponse));
  req->end();
  return req;
}

ClientRequestPtr get(std::string_view url, ResponseCallback onResponse) {
  return get(url, RequestOptions{}, std::move(onResponse));
}

ClientRequestPtr get(std::string_view url, RequestOptions o, ResponseCallback onResponse) {
  auto req = request(url, std::move(o), std::move(onResponse));
  req->end();
  return req;
}

}  // namespace evnode::https

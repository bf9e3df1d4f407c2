// HTTP request helpers and the one error body of the API: see http.h.
#include "api/http.h"

#include <fmt/format.h>

#include "api/json.h"

namespace strix::api {

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t = target;
  const size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::string_view HttpRequest::header(std::string_view lower_name) const {
  for (const HttpHeader& h : headers) {
    if (h.name == lower_name) return h.value;
  }
  return {};
}

std::string_view ErrorTypeFor(int status) {
  switch (status) {
    case 400:
      return "bad_data";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "timeout";
    case 409:
      return "conflict";
    case 411:
      return "length_required";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_media_type";
    case 417:
      return "expectation_failed";
    case 422:
      return "execution";
    case 429:
      return "too_many_requests";
    case 431:
      return "header_too_large";
    case 503:
      return "unavailable";
    case 507:
      return "insufficient_storage";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  JsonWriter w(&r.body);
  w.BeginObject()
      .Key("status")
      .String("error")
      .Key("errorType")
      .String(ErrorTypeFor(status))
      .Key("error")
      .String(message)
      .EndObject();
  r.body.push_back('\n');
  return r;
}

}  // namespace strix::api

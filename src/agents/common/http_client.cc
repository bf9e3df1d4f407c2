// HttpClient on a libcurl easy handle (see http_client.h).
#include "agents/common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/check.h"

namespace strix::agents {
namespace {

struct Sink {
  HttpResponse* resp;
  size_t max_bytes;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * n;
  if (sink->resp->body.size() + bytes > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->resp->body.append(data, bytes);
  return bytes;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

size_t HeaderLine(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (after a redirect or 100-continue)
    resp->retry_after_s = -1;
    resp->content_type.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = Trim(line.substr(colon + 1));
  if (IEquals(name, "Retry-After")) {
    int64_t v = -1;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc() && p == value.data() + value.size() && v >= 0) resp->retry_after_s = v;
  } else if (IEquals(name, "Content-Type")) {
    resp->content_type = std::string(value);
  }
  return size * n;
}

// curl calls this about once a second while a transfer runs (and on progress).
int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

}  // namespace

void HttpClient::GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }

HttpClient::HttpClient() : curl_(curl_easy_init()) { STRIX_CHECK(curl_ != nullptr); }

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<HttpResponse> HttpClient::Do(const HttpRequest& req) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpResponse resp;
  Sink sink{&resp, req.max_response_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, req.timeout_ms)));
  curl_easy_setopt(
      c, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(1, std::min(req.connect_timeout_ms, req.timeout_ms))));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, HeaderLine);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req.tls_verify ? 2L : 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "strix-agent");
  if (req.stop.stop_possible()) {
    if (req.stop.stop_requested()) return Status::Cancelled("http: stopped", req.url);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &req.stop);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  }
  // Accept gzip answers (spoke pages); curl decodes them.
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
  struct curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    std::string h = k + ": " + v;
    headers = curl_slist_append(headers, h.c_str());
  }
  // No "Expect: 100-continue" round trip on large posts.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_slist_free_all(headers);
    return Status::InvalidArgument("http client: unsupported method", req.method);
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string what = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    switch (rc) {
      case CURLE_ABORTED_BY_CALLBACK:
        return Status::Cancelled("http: stopped", req.url);
      case CURLE_OPERATION_TIMEDOUT:
        return Status::DeadlineExceeded("http: timed out", req.url + ": " + what);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Status::InvalidArgument("http: bad URL", req.url + ": " + what);
      case CURLE_WRITE_ERROR:
        if (sink.too_large) return Status::ResourceExhausted("http: answer too large", req.url);
        return Status::Unavailable("http: transfer failed", req.url + ": " + what);
      default:
        return Status::Unavailable("http: request failed", req.url + ": " + what);
    }
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  resp.status = static_cast<int>(code);
  return resp;
}

}  // namespace strix::agents

// Request head parser and answer formatting (request.h).
#include "agents/httpd/request.h"

#include <charconv>
#include <ctime>

namespace strix::agents::httpd {
namespace {

constexpr size_t kMaxMethodBytes = 32;
constexpr int kMaxLeadingEmptyLines = 4;

// RFC 9110 tchar.
bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Splits off the next line (without its CRLF or LF). A CR not followed by LF is an error.
bool NextLine(std::string_view* rest, std::string_view* line, bool* bad_cr) {
  if (rest->empty()) return false;
  size_t lf = rest->find('\n');
  std::string_view l = lf == std::string_view::npos ? *rest : rest->substr(0, lf);
  *rest = lf == std::string_view::npos ? std::string_view() : rest->substr(lf + 1);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  *bad_cr = l.find('\r') != std::string_view::npos;
  *line = l;
  return true;
}

Status Bad(std::string_view msg, std::string_view ctx = {}) {
  std::string cut(ctx.substr(0, 64));
  for (char& c : cut) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return Status::InvalidArgument(msg, cut);
}

Status ParseTarget(std::string_view target, Request* r) {
  if (target.empty()) return Bad("http: empty request target");
  for (char c : target) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Bad("http: invalid byte in the request target", target);
  }
  std::string_view t = target;
  if (t[0] != '/') {
    // absolute-form: scheme "://" authority [path-abempty] [ "?" query ]
    size_t sep = t.find("://");
    if (sep == std::string_view::npos || !(EqualsIgnoreCase(t.substr(0, sep), "http") ||
                                           EqualsIgnoreCase(t.substr(0, sep), "https"))) {
      return Bad("http: request target must start with '/'", target);
    }
    t.remove_prefix(sep + 3);
    size_t end = t.find_first_of("/?");
    if (end == 0) return Bad("http: request target has an empty authority", target);
    t = end == std::string_view::npos ? std::string_view("/") : t.substr(end);
    if (t[0] == '?') {
      r->path = "/";
      r->query.assign(t.substr(1));
      return Status::Ok();
    }
  }
  size_t q = t.find('?');
  r->path.assign(t.substr(0, q));
  if (q != std::string_view::npos) r->query.assign(t.substr(q + 1));
  return Status::Ok();
}

Status ParseRequestLine(std::string_view line, Request* r) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Bad("http: malformed request line", line);
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    // "GET /" alone is an HTTP/0.9 request.
    if (line.substr(0, sp1) == "GET" && line.size() > sp1 + 1 && line[sp1 + 1] == '/') {
      return Status::Unimplemented("http: HTTP/0.9 requests are not supported");
    }
    return Bad("http: malformed request line", line);
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Bad("http: invalid method", line);
  if (method.size() > kMaxMethodBytes) return Bad("http: method too long", method);
  if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
      version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
      return Status::Unimplemented("http: unsupported HTTP version", version);
    }
    r->version_minor = version[7] - '0';
  } else {
    return Bad("http: malformed HTTP version", version);
  }
  r->method.assign(method);
  return ParseTarget(target, r);
}

}  // namespace

size_t FindHeadEnd(std::string_view buf) {
  // The head ends at the first empty line: LF (CR) LF. Leading empty lines before the
  // request line do not count.
  size_t start = 0;
  while (start < buf.size() && (buf[start] == '\r' || buf[start] == '\n')) ++start;
  for (size_t i = buf.find('\n', start); i != std::string_view::npos; i = buf.find('\n', i + 1)) {
    size_t j = i + 1;
    if (j < buf.size() && buf[j] == '\r') ++j;
    if (j < buf.size() && buf[j] == '\n') return j + 1;
  }
  return std::string_view::npos;
}

Result<Request> ParseRequestHead(std::string_view head) {
  Request r;
  std::string_view rest = head;
  std::string_view line;
  bool bad_cr = false;
  int empty = 0;
  while (true) {
    if (!NextLine(&rest, &line, &bad_cr)) return Bad("http: empty request");
    if (bad_cr) return Bad("http: stray CR in the request line");
    if (!line.empty()) break;
    if (++empty > kMaxLeadingEmptyLines)
      return Bad("http: too many empty lines before the request");
  }
  for (char c : line) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Bad("http: control character in the request line", line);
  }
  STRIX_RETURN_IF_ERROR(ParseRequestLine(line, &r));

  int hosts = 0;
  bool have_length = false;
  while (NextLine(&rest, &line, &bad_cr)) {
    if (bad_cr) return Bad("http: stray CR in a header line");
    if (line.empty()) break;  // the end of the head
    if (line[0] == ' ' || line[0] == '\t') return Bad("http: obsolete header line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Bad("http: header line without ':'", line);
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Bad("http: invalid header field name", line);
    std::string_view value = line.substr(colon + 1);
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7f)
        return Bad("http: control character in a header value", name);
    }
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (EqualsIgnoreCase(name, "host")) {
      ++hosts;
    } else if (EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      bool digits = !value.empty() && value[0] >= '0' && value[0] <= '9';
      if (!digits || ec != std::errc() || ptr != value.data() + value.size()) {
        return Bad("http: invalid Content-Length", value);
      }
      if (have_length && n != r.content_length)
        return Bad("http: conflicting Content-Length fields");
      have_length = true;
      r.content_length = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      r.transfer_encoding = true;
    } else if (EqualsIgnoreCase(name, "authorization")) {
      r.authorization = std::string(value);
    }
  }
  if (r.version_minor == 1 && hosts != 1) {
    return Bad(hosts == 0 ? "http: HTTP/1.1 request without a Host field"
                          : "http: more than one Host field");
  }
  if (hosts > 1) return Bad("http: more than one Host field");
  return r;
}

int StatusForParseError(const Status& s) {
  return s.code() == StatusCode::kUnimplemented ? 505 : 400;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

Response TextResponse(int status, std::string_view detail) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::to_string(status);
  r.body += ' ';
  r.body += ReasonPhrase(status);
  if (!detail.empty()) {
    r.body += ": ";
    r.body += detail;
  }
  r.body += '\n';
  return r;
}

std::string FormatResponseHead(const Response& r, size_t body_bytes, std::string_view date,
                               std::string_view server_name) {
  auto clean = [](std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  };
  int status = (r.status >= 100 && r.status <= 599) ? r.status : 500;
  bool no_body = status < 200 || status == 204 || status == 304;
  std::string h = "HTTP/1.1 ";
  h += std::to_string(status);
  h += ' ';
  h += ReasonPhrase(status);
  h += "\r\n";
  if (!date.empty()) {
    h += "Date: ";
    h += date;
    h += "\r\n";
  }
  if (!server_name.empty() && clean(server_name)) {
    h += "Server: ";
    h += server_name;
    h += "\r\n";
  }
  if (!no_body) {
    if (!r.content_type.empty() && clean(r.content_type)) {
      h += "Content-Type: ";
      h += r.content_type;
      h += "\r\n";
    }
    h += "Content-Length: ";
    h += std::to_string(body_bytes);
    h += "\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || !clean(value)) continue;
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "connection") ||
        EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "server") ||
        EqualsIgnoreCase(name, "content-type") || EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;
    }
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  h += "Connection: close\r\n\r\n";
  return h;
}

std::string HttpDate(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return {};
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                        tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                        tm.tm_sec);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace strix::agents::httpd

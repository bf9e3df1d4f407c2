// Api: who may call what (tokens and browser sessions), login, logout, the caller's own
// identity, tag edits from the web UI, and the web UI's files. See docs/api.md
// ("Authentication", "Browser sessions") and docs/format/meta.md ("Users", "Sessions").
#include <fmt/format.h>
#include <simdjson.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "api/internal/api_impl.h"
#include "api/json.h"
#include "core/env.h"
#include "core/log.h"

namespace strix::api {

using meta::Role;
using meta::Scope;

namespace {

constexpr std::string_view kSessionCookie = "strix_session";

void Count(Counter* c, uint64_t n = 1) {
  if (c != nullptr) c->Add(n);
}

// Authorization: "Bearer <t>", "Token <t>" (InfluxDB 2 clients) or Basic with the token as
// password (InfluxDB 1 clients); `q` also takes ?p=<t> (InfluxDB 1 /write).
std::string_view ExtractToken(const HttpRequest& req, const QueryParams* q, std::string* scratch) {
  std::string_view auth = req.header("authorization");
  auto after = [&](std::string_view scheme) -> std::optional<std::string_view> {
    if (auth.size() > scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), auth.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); }) &&
        auth[scheme.size()] == ' ') {
      std::string_view t = auth.substr(scheme.size() + 1);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      return t;
    }
    return std::nullopt;
  };
  if (auto t = after("Bearer")) return *t;
  if (auto t = after("Token")) return *t;
  if (auto t = after("Basic")) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    scratch->clear();
    uint32_t acc = 0;
    int bits = 0;
    for (char c : *t) {
      if (c == '=') break;
      const size_t v = kAlphabet.find(c);
      if (v == std::string_view::npos) return {};
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        scratch->push_back(static_cast<char>((acc >> bits) & 0xFF));
      }
    }
    const size_t colon = scratch->find(':');
    return colon == std::string::npos ? std::string_view()
                                      : std::string_view(*scratch).substr(colon + 1);
  }
  if (q != nullptr) {
    if (auto p = q->Get("p")) return *p;
  }
  return {};
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
      std::string_view v = part.substr(name.size() + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

// Set-Cookie for the session: never readable by scripts, never sent cross-site, only over
// TLS when the request came over TLS. max_age 0 deletes it.
std::string SessionCookie(std::string_view value, int64_t max_age_s, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie,
                     value, max_age_s, secure ? "; Secure" : "");
}

// "1.2.3.4:5678" or "[::1]:5678" -> the address alone.
std::string_view RemoteAddress(std::string_view remote) {
  if (remote.starts_with('[')) {
    const size_t close = remote.find(']');
    return close == std::string_view::npos ? remote : remote.substr(1, close - 1);
  }
  const size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

bool SafeMethod(std::string_view m) { return m == "GET" || m == "HEAD"; }

HttpResponse NoStore(HttpResponse r) {
  r.Header("cache-control", "no-store");
  return r;
}

void WriteSession(JsonWriter& w, const meta::SessionInfo& s) {
  w.BeginObject()
      .Key("auth")
      .String("session")
      .Key("user")
      .String(s.user)
      .Key("role")
      .String(meta::RoleName(s.role))
      .Key("csrf")
      .String(s.csrf)
      .Key("expires_ms")
      .Int(s.expires_at_ms)
      .EndObject();
}

struct LoginBody {
  std::string user;
  std::string password;
};

Result<LoginBody> ParseLoginBody(const std::string& text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(text).get(root) != simdjson::SUCCESS || root.get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument(
        R"(body must be a JSON object: {"user":"<name>","password":"<password>"})");
  }
  LoginBody b;
  std::string_view v;
  if (obj["user"].get(v) != simdjson::SUCCESS || v.empty()) {
    return Status::InvalidArgument("body: 'user' must be a non-empty string");
  }
  b.user = std::string(v);
  if (obj["password"].get(v) != simdjson::SUCCESS || v.empty()) {
    return Status::InvalidArgument("body: 'password' must be a non-empty string");
  }
  b.password = std::string(v);
  return b;
}

constexpr std::string_view AccessWord(Access a) {
  switch (a) {
    case Access::kIngest:
      return "ingest";
    case Access::kRead:
      return "read";
    case Access::kEdit:
      return "edit";
    case Access::kAdmin:
      return "admin";
    case Access::kNone:
      break;
  }
  return "none";
}

}  // namespace

std::optional<HttpResponse> Api::Impl::Authorize(const HttpRequest& req,
                                                 const QueryParams* token_query, Access access,
                                                 Caller* caller) {
  std::string scratch;
  std::string_view token = ExtractToken(req, token_query, &scratch);
  if (!token.empty()) {
    Result<meta::Principal> who = ctx.meta->VerifyToken(token);
    if (!who.ok()) {
      Count(auth_failures);
      HttpResponse r = who.status().code() == StatusCode::kUnauthenticated
                           ? ErrorResponse(401, "invalid token")
                           : StatusResponse(who.status());
      if (r.status == 401)
        r.Header("www-authenticate", "Bearer realm=\"strix\", error=\"invalid_token\"");
      return r;
    }
    const Scope need = access == Access::kIngest ? Scope::kIngest
                       : access == Access::kRead ? Scope::kRead
                                                 : Scope::kAdmin;  // edit and admin
    if (!who->Allows(need)) {
      return ErrorResponse(403,
                           fmt::format("token '{}' lacks the '{}' scope needed by {} {}", who->name,
                                       meta::ScopeName(need), req.method, req.path()));
    }
    caller->authenticated = true;
    caller->principal = std::move(*who);
    caller->credential = std::string(token);
    return std::nullopt;
  }

  std::string_view cookie = CookieValue(req.header("cookie"), kSessionCookie);
  if (cookie.empty()) {
    Count(auth_failures);
    HttpResponse r = ErrorResponse(
        401,
        "not logged in and no token: log in (POST /api/v1/login) or send 'Authorization: "
        "Bearer <token>' (missing token; create one with 'strix token create')");
    r.Header("www-authenticate", "Bearer realm=\"strix\"");
    return r;
  }
  Result<meta::SessionInfo> s = ctx.meta->VerifySession(cookie);
  if (!s.ok()) {
    Count(auth_failures);
    if (s.status().code() != StatusCode::kUnauthenticated) return StatusResponse(s.status());
    HttpResponse r = ErrorResponse(401, fmt::format("{}: log in again", s.status().message()));
    r.Header("set-cookie", SessionCookie("", 0, req.tls || ctx.secure_cookie));
    return r;
  }
  if (!SafeMethod(req.method) || access == Access::kAdmin) {
    // Admin routes check it on every method: GET /aggregate changes state.
    // SameSite=Strict keeps other sites' requests from carrying the cookie; the CSRF value
    // (readable only by our own pages, through /api/v1/me) covers older browsers too.
    std::string_view sent = req.header("x-csrf-token");
    if (sent.size() != s->csrf.size() ||
        sodium_memcmp(sent.data(), s->csrf.data(), sent.size()) != 0) {
      return ErrorResponse(403,
                           "missing or wrong X-CSRF-Token header: a write made with a session "
                           "must send the csrf value of GET /api/v1/me");
    }
  }
  bool allowed = false;
  std::string_view needs;
  switch (access) {
    case Access::kIngest:
      needs = "an ingest token (browser sessions cannot write samples)";
      break;
    case Access::kRead:
      allowed = true;
      break;
    case Access::kEdit:
      allowed = s->role >= Role::kEditor;
      needs = "role editor or admin";
      break;
    case Access::kAdmin:
      allowed = s->role == Role::kAdmin;
      needs = "role admin";
      break;
    case Access::kNone:
      allowed = true;
      break;
  }
  if (!allowed) {
    return ErrorResponse(403, fmt::format("user '{}' ({}) may not {}: {} {} needs {}", s->user,
                                          meta::RoleName(s->role), AccessWord(access), req.method,
                                          req.path(), needs));
  }
  caller->authenticated = true;
  caller->principal.kind = meta::PrincipalKind::kSession;
  caller->principal.id = s->id;
  caller->principal.name = s->user;
  caller->principal.user = s->user;
  caller->session = std::move(*s);
  caller->credential = std::string(cookie);
  return std::nullopt;
}

void Api::Impl::Login(const HttpRequest& req, Respond respond) {
  // A login is small; anything bigger is not one (and must not grow buffers or queues).
  constexpr size_t kMaxLoginBody = 4096;
  if (req.body.size() > kMaxLoginBody) {
    respond(NoStore(ErrorResponse(413, "a login body is at most 4096 bytes")));
    return;
  }
  if (!req.header("content-type").starts_with("application/json")) {
    // A cross-site form cannot send this type without a CORS preflight, which fails.
    respond(NoStore(ErrorResponse(415, "a login must be sent as Content-Type: application/json")));
    return;
  }
  Result<LoginBody> body = ParseLoginBody(req.body);
  if (!body.ok()) {
    respond(NoStore(ErrorResponse(400, body.status().message())));
    return;
  }
  // Names longer than any valid one share a key (they cannot log in anyway).
  std::string user_key =
      body->user.size() <= 64 ? "user:" + body->user : std::string("user:<too long>");
  std::string addr_key = "addr:" + std::string(RemoteAddress(req.remote));
  // Each attempt counts as a failure from its start, so parallel guesses gain nothing.
  int64_t wait = throttle.Begin(user_key);
  if (wait == 0) {
    wait = throttle.Begin(addr_key);
    if (wait > 0) throttle.Forgive(user_key);
  }
  if (wait > 0) {
    Count(logins_throttled);
    const int64_t seconds = (wait + 999) / 1000;
    HttpResponse r = ErrorResponse(
        429,
        fmt::format("too many failed logins for this user or address: retry in {} s", seconds));
    r.Header("retry-after", std::to_string(seconds));
    respond(NoStore(std::move(r)));
    return;
  }
  const bool tls = req.tls || ctx.secure_cookie;
  std::string remote = req.remote;
  auto check = [this, body = std::move(*body), user_key, addr_key, tls, remote = std::move(remote),
                respond]() mutable {
    if (stopping.load()) {
      throttle.Forgive(user_key);
      throttle.Forgive(addr_key);
      HttpResponse r = ErrorResponse(503, "strixd is stopping");
      r.Header("retry-after", "5");
      respond(NoStore(std::move(r)));
      return;
    }
    Result<meta::UserInfo> u = ctx.meta->VerifyPassword(body.user, body.password);
    sodium_memzero(body.password.data(), body.password.size());
    const std::string shown_user = body.user.substr(0, 64);
    if (!u.ok()) {
      if (u.status().code() != StatusCode::kUnauthenticated &&
          u.status().code() != StatusCode::kPermissionDenied) {
        respond(NoStore(StatusResponse(u.status())));
        return;
      }
      Count(logins_failed);
      STRIX_LOG(kWarn, "api: login refused", "user", shown_user, "remote", remote, "reason",
                u.status().message());
      respond(NoStore(ErrorResponse(401, u.status().message())));
      return;
    }
    throttle.Succeeded(user_key);
    throttle.Forgive(addr_key);
    Result<meta::NewSession> s = ctx.meta->CreateSession(u->name, ctx.session_ttl_ms);
    if (!s.ok()) {
      // Disabled or deleted between the check and now: as a refused login.
      respond(NoStore(s.status().code() == StatusCode::kNotFound ||
                              s.status().code() == StatusCode::kFailedPrecondition
                          ? ErrorResponse(401, "invalid user name or password")
                          : StatusResponse(s.status())));
      return;
    }
    Result<int64_t> expired = ctx.meta->DeleteExpiredSessions();
    if (!expired.ok()) {
      STRIX_LOG(kWarn, "api: deleting expired sessions failed", "error",
                expired.status().ToString());
    }
    Count(logins_ok);
    STRIX_LOG(kInfo, "api: login", "user", u->name, "role", meta::RoleName(u->role), "remote",
              remote);
    std::string data;
    JsonWriter w(&data);
    WriteSession(w, s->info);
    HttpResponse r = SuccessResponse(data);
    r.Header("set-cookie", SessionCookie(s->cookie, ctx.session_ttl_ms / 1000, tls));
    respond(NoStore(std::move(r)));
  };
  if (!login_pool->Submit(std::move(check))) {
    throttle.Forgive(user_key);
    throttle.Forgive(addr_key);
    HttpResponse r = ErrorResponse(503, "too many logins in progress: retry in a second");
    r.Header("retry-after", "1");
    respond(NoStore(std::move(r)));
  }
}

HttpResponse Api::Impl::Logout(const HttpRequest& req) {
  std::string_view cookie = CookieValue(req.header("cookie"), kSessionCookie);
  if (!cookie.empty()) {
    Result<meta::SessionInfo> s = ctx.meta->VerifySession(cookie);
    if (s.ok()) {
      std::string_view sent = req.header("x-csrf-token");
      if (sent.size() != s->csrf.size() ||
          sodium_memcmp(sent.data(), s->csrf.data(), sent.size()) != 0) {
        return ErrorResponse(403, "missing or wrong X-CSRF-Token header");
      }
      Status st = ctx.meta->DeleteSession(cookie);
      if (!st.ok()) return StatusResponse(st);
      STRIX_LOG(kInfo, "api: logout", "user", s->user);
    }
  }
  HttpResponse r = SuccessResponse("{}");
  r.Header("set-cookie", SessionCookie("", 0, req.tls || ctx.secure_cookie));
  return NoStore(std::move(r));
}

HttpResponse Api::Impl::Me(const Caller& caller) {
  std::string data;
  JsonWriter w(&data);
  if (caller.session) {
    WriteSession(w, *caller.session);
  } else {
    w.BeginObject()
        .Key("auth")
        .String("token")
        .Key("token")
        .String(caller.principal.name)
        .Key("scopes")
        .String(caller.principal.scopes.ToString())
        .EndObject();
  }
  return NoStore(SuccessResponse(data));
}

HttpResponse Api::Impl::PutHostTags(std::string_view host, const HttpRequest& req,
                                    const Caller& caller) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (auto err = parser.parse(req.body).get(root); err) {
    return ErrorResponse(400,
                         fmt::format("body is not valid JSON: {}", simdjson::error_message(err)));
  }
  if (root.get(obj) != simdjson::SUCCESS) {
    return ErrorResponse(400, R"(body must be a JSON object of tags: {"role":"web",...})");
  }
  meta::Tags tags;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get(v) != simdjson::SUCCESS) {
      return ErrorResponse(
          400, fmt::format("tag '{}': the value must be a string", std::string_view(field.key)));
    }
    tags[std::string(field.key)] = std::string(v);
  }
  Result<meta::Host> existing = ctx.meta->GetHost(host);
  if (!existing.ok()) {
    if (existing.status().code() == StatusCode::kNotFound) {
      return ErrorResponse(404, fmt::format("no such host: '{}'", host));
    }
    return StatusResponse(existing.status());
  }
  Status st = ctx.meta->SetHostTags(host, tags);
  if (!st.ok()) return StatusResponse(st);
  STRIX_LOG(kInfo, "api: host tags replaced", "host", host, "by",
            caller.session ? "user " + caller.session->user : "token " + caller.principal.name,
            "tags", tags.size());
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Key("host").String(host).Key("tags").BeginObject();
  for (const auto& [k, v] : tags) w.Key(k).String(v);
  w.EndObject().EndObject();
  return SuccessResponse(data);
}

namespace {

std::string_view ContentTypeFor(std::string_view name) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Type& t : kTypes) {
    if (name.ends_with(t.ext)) return t.type;
  }
  return "application/octet-stream";
}

// A file name the web build produces: no directories, no dot files, a plain alphabet.
bool SafeAssetName(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

}  // namespace

HttpResponse Api::Impl::WebFile(std::string_view path) {
  if (ctx.web_dir.empty()) {
    if (path == "/") {
      HttpResponse r;
      r.content_type = "text/plain; charset=utf-8";
      r.body =
          "Strix is running. The web UI is not configured (web.dir in strixd.yaml; `make web` "
          "builds it). The API is described in docs/api.md.\n";
      return r;
    }
    return ErrorResponse(404, "the web UI is not configured (web.dir)");
  }
  std::string rel;
  bool immutable = false;
  if (path == "/") {
    rel = "index.html";
  } else if (path.starts_with("/assets/")) {
    std::string_view name = path.substr(8);
    if (!SafeAssetName(name)) return ErrorResponse(404, "no such file");
    rel = "assets/" + std::string(name);
    immutable = true;  // Vite names assets by content hash
  } else {
    std::string_view name = path.substr(1);
    if (!SafeAssetName(name)) return ErrorResponse(404, "no such file");
    rel = std::string(name);
  }
  Env& env = Env::Default();
  std::string full = JoinPath(ctx.web_dir, rel);
  Result<std::string> data = ReadFileToString(env, full);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) {
      return ErrorResponse(404, path == "/" ? "the web UI is not built: index.html is missing in "
                                              "web.dir (run `make web`)"
                                            : "no such file");
    }
    return StatusResponse(data.status());
  }
  HttpResponse r;
  r.content_type = std::string(ContentTypeFor(rel));
  r.body = std::move(*data);
  r.Header("x-content-type-options", "nosniff");
  r.Header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (rel == "index.html") {
    r.Header("content-security-policy",
             "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
             "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    r.Header("x-frame-options", "DENY");
    r.Header("referrer-policy", "same-origin");
  }
  return r;
}

}  // namespace strix::api

// RequestDecoder on Beast's request parser, and the response serialiser (see
// http_codec.h; the rules are in docs/wire/http.md).
//
// The decoder drives basic_parser::put() itself, as Beast's own http::read does, so that
// the server can stop after the header (Expect: 100-continue, early 413/415) and so that
// the fuzz target runs the same steps without a socket. The parser is non-eager until
// the header is complete, then eager for the body.
#include "server/http/http_codec.h"

#include <algorithm>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "server/http/gzip.h"

namespace strix::server::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Reserve no more than this up front for a declared Content-Length: a client that
// announces 64 MiB and then sends nothing must not cost 64 MiB.
constexpr size_t kMaxBodyReserve = 1 << 20;

// Beast's string_body, except that it reserves at most kMaxBodyReserve.
struct RequestBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& v) { return v.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      ec = {};
      if (length)
        body_.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, kMaxBodyReserve)));
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using Parser = bhttp::request_parser<RequestBody>;

enum class Coding { kGzip, kDeflate };

std::string_view View(boost::string_view s) { return std::string_view(s.data(), s.size()); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Calls fn(element) for each comma-separated element of a list header, trimmed, skipping
// empty ones (RFC 7230 section 7).
template <typename Fn>
void ForEachListElement(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view element = Trim(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// All values of a header field, joined with commas, as one list.
std::string JoinedField(const bhttp::request<RequestBody>& msg, bhttp::field f) {
  std::string out;
  auto range = msg.equal_range(f);
  for (auto it = range.first; it != range.second; ++it) {
    if (!out.empty()) out.push_back(',');
    out.append(View(it->value()));
  }
  return out;
}

bool IsTokenChar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A field value that cannot break the framing: no control characters but HTAB.
bool IsFieldValue(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

// ---- RequestDecoder ----

struct RequestDecoder::Impl {
  enum class State { kParsing, kReady, kFailed };

  explicit Impl(const DecoderLimits& l) : limits(l) { Reset(); }

  void Reset() {
    parser.emplace();
    parser->header_limit(
        static_cast<std::uint32_t>(std::min<size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
    parser->eager(false);
    state = State::kParsing;
    header_checked = false;
    header_bytes = 0;
    expects_continue = false;
    codings.clear();
  }

  Event Fail(int status, std::string message) {
    state = State::kFailed;
    rejection.status = status;
    rejection.message = std::move(message);
    return Event::kError;
  }

  Event FailHeaderLimit() {
    return Fail(431, "request header exceeds the limit of " +
                         std::to_string(limits.max_header_bytes) + " bytes");
  }

  Event FailFromParser(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) return FailHeaderLimit();
    if (ec == bhttp::error::body_limit) {
      std::string declared;
      const auto& msg = parser->get();
      auto it = msg.find(bhttp::field::content_length);
      if (it != msg.end() && !parser->chunked()) declared = std::string(View(it->value()));
      std::string text = declared.empty()
                             ? "request body exceeds the limit of "
                             : "request body of " + declared + " bytes exceeds the limit of ";
      return Fail(413, text + std::to_string(limits.max_body_bytes) + " bytes");
    }
    return Fail(400, "malformed HTTP request: " + ec.message());
  }

  // Checks a complete header; the rejection if it is unacceptable.
  std::optional<Rejection> CheckHeader() {
    const auto& msg = parser->get();
    const size_t hosts = msg.count(bhttp::field::host);
    if (hosts > 1) return Rejection{400, "more than one Host header"};
    if (hosts == 0 && msg.version() >= 11) return Rejection{400, "missing Host header"};

    // Beast treats a Transfer-Encoding whose last coding is not chunked as no body at
    // all, so the body would be read as the next request (RFC 7230 section 3.3.3 asks
    // for a 400). Only "chunked" alone is supported.
    if (msg.count(bhttp::field::transfer_encoding) > 0) {
      const std::string te = JoinedField(msg, bhttp::field::transfer_encoding);
      size_t codings = 0;
      bool chunked_only = true;
      ForEachListElement(te, [&](std::string_view coding) {
        ++codings;
        chunked_only = chunked_only && EqualsIgnoreCase(coding, "chunked");
      });
      if (codings != 1 || !chunked_only || !parser->chunked()) {
        return Rejection{400, "unsupported Transfer-Encoding: " + te + " (only chunked)"};
      }
    }

    const std::string expect = JoinedField(msg, bhttp::field::expect);
    if (!expect.empty() || msg.count(bhttp::field::expect) > 0) {
      if (!EqualsIgnoreCase(Trim(expect), "100-continue")) {
        return Rejection{417, "unsupported Expect: " + expect};
      }
      // RFC 7231 section 5.1.1: an HTTP/1.0 client's 100-continue is ignored.
      expects_continue = msg.version() >= 11;
    }

    std::optional<Rejection> bad;
    ForEachListElement(
        JoinedField(msg, bhttp::field::content_encoding), [&](std::string_view coding) {
          if (bad) return;
          if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
            codings.push_back(Coding::kGzip);
          } else if (EqualsIgnoreCase(coding, "deflate")) {
            codings.push_back(Coding::kDeflate);
          } else if (!EqualsIgnoreCase(coding, "identity")) {
            bad = Rejection{415, "unsupported Content-Encoding: " + std::string(coding) +
                                     " (supported: gzip, x-gzip, deflate)"};
          }
        });
    return bad;
  }

  // The parser is done: undo the Content-Encoding and build the request.
  Event Finish() {
    RequestTraits t;
    t.keep_alive = parser->keep_alive();
    bhttp::request<RequestBody> msg = parser->release();
    t.http11 = msg.version() >= 11;
    t.head = msg.method() == bhttp::verb::head;
    t.accepts_gzip = AcceptsGzip(JoinedField(msg, bhttp::field::accept_encoding));

    api::HttpRequest req;
    req.body = std::move(msg.body());
    const bool decode = !codings.empty() && !req.body.empty();
    for (auto it = codings.rbegin(); decode && it != codings.rend(); ++it) {
      const bool gzip = *it == Coding::kGzip;
      Result<std::string> plain = gzip ? GunzipBounded(req.body, limits.max_body_bytes)
                                       : InflateBounded(req.body, limits.max_body_bytes);
      if (!plain.ok()) {
        const Status& s = plain.status();
        if (s.code() == StatusCode::kResourceExhausted) {
          return Fail(413, "decompressed request body exceeds the limit of " +
                               std::to_string(limits.max_body_bytes) + " bytes");
        }
        std::string text =
            std::string(gzip ? "bad gzip request body: " : "bad deflate request body: ") +
            std::string(s.message());
        if (!s.context().empty()) text += " (" + std::string(s.context()) + ")";
        return Fail(400, std::move(text));
      }
      req.body = std::move(*plain);
    }

    req.method = std::string(View(msg.method_string()));
    req.target = std::string(View(msg.target()));
    req.headers.reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& f : msg) {
      // The body is decoded: its Content-Encoding no longer describes it.
      if (decode && f.name() == bhttp::field::content_encoding) continue;
      req.headers.push_back({LowerCopy(View(f.name_string())), std::string(View(f.value()))});
    }
    ready = std::move(req);
    ready_traits = t;
    state = State::kReady;
    return Event::kRequest;
  }

  Event Feed(std::string_view bytes, size_t* consumed) {
    *consumed = 0;
    if (state == State::kFailed) return Event::kError;
    STRIX_CHECK_MSG(state == State::kParsing, "RequestDecoder::Feed before TakeRequest");
    size_t used = 0;
    // RFC 7230 section 3.5: ignore empty lines before a request line.
    if (!parser->got_some()) {
      while (used < bytes.size() && (bytes[used] == '\r' || bytes[used] == '\n')) ++used;
    }
    for (;;) {
      if (used == bytes.size()) {
        *consumed = used;
        return Event::kNeedMore;
      }
      beast::error_code ec;
      const size_t n =
          parser->put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
      used += n;
      *consumed = used;
      // Until the header is done, the parser consumes only header bytes (it is not eager).
      if (!header_checked) header_bytes += n;
      if (ec == bhttp::error::need_more) {
        // What is left belongs to a header that has not ended yet.
        if (!header_checked && header_bytes + (bytes.size() - used) > limits.max_header_bytes) {
          return FailHeaderLimit();
        }
        return Event::kNeedMore;
      }
      if (ec) return FailFromParser(ec);
      if (!header_checked && parser->is_header_done()) {
        header_checked = true;
        if (header_bytes > limits.max_header_bytes) return FailHeaderLimit();
        if (std::optional<Rejection> r = CheckHeader()) return Fail(r->status, r->message);
        if (!parser->is_done()) {
          parser->eager(true);
          return Event::kHeader;
        }
      }
      if (parser->is_done()) return Finish();
    }
  }

  DecoderLimits limits;
  std::optional<Parser> parser;
  State state = State::kParsing;
  bool header_checked = false;
  // Header bytes consumed so far. Beast's own header_limit counts the request line and
  // the fields separately, and differently depending on how the bytes arrive; this makes
  // the limit exact: request line + fields + the blank line <= max_header_bytes.
  size_t header_bytes = 0;
  bool expects_continue = false;
  std::vector<Coding> codings;  // Content-Encoding, in the order the sender applied them
  Rejection rejection;
  api::HttpRequest ready;
  RequestTraits ready_traits;
};

RequestDecoder::RequestDecoder(const DecoderLimits& limits)
    : impl_(std::make_unique<Impl>(limits)) {}

RequestDecoder::~RequestDecoder() = default;

RequestDecoder::Event RequestDecoder::Feed(std::string_view bytes, size_t* consumed) {
  return impl_->Feed(bytes, consumed);
}

RequestDecoder::Event RequestDecoder::FeedEof() {
  if (impl_->state == Impl::State::kFailed) return Event::kError;
  if (impl_->state == Impl::State::kReady) return Event::kRequest;
  if (!impl_->parser->got_some()) return Event::kNeedMore;
  beast::error_code ec;
  impl_->parser->put_eof(ec);
  if (ec) return impl_->Fail(400, "request ended early: " + ec.message());
  // A request never runs to end-of-input (RFC 7230 section 3.3.3), so a parser that
  // accepts the end was already done: report what Feed would have.
  return impl_->parser->is_done() ? impl_->Finish() : Event::kNeedMore;
}

bool RequestDecoder::started() const {
  return impl_->state != Impl::State::kParsing || impl_->parser->got_some();
}

bool RequestDecoder::expects_continue() const { return impl_->expects_continue; }

void RequestDecoder::TakeRequest(api::HttpRequest* req, RequestTraits* traits) {
  STRIX_CHECK_MSG(impl_->state == Impl::State::kReady, "TakeRequest without a request");
  *req = std::move(impl_->ready);
  *traits = impl_->ready_traits;
  impl_->ready = api::HttpRequest();
  impl_->Reset();
}

const Rejection& RequestDecoder::rejection() const { return impl_->rejection; }

// ---- Responses ----

bool IsCompressibleType(std::string_view content_type) {
  const std::string type = LowerCopy(Trim(content_type.substr(0, content_type.find(';'))));
  const std::string_view t = type;
  if (t.substr(0, 5) == "text/") return true;
  for (std::string_view known :
       {"application/json", "application/javascript", "application/xml", "application/x-ndjson",
        "application/openmetrics-text", "image/svg+xml"}) {
    if (t == known) return true;
  }
  auto ends_with = [&](std::string_view suffix) {
    return t.size() > suffix.size() && t.substr(t.size() - suffix.size()) == suffix;
  };
  return ends_with("+json") || ends_with("+xml");
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;  // an explicit gzip or x-gzip element decides
  std::optional<bool> star;
  ForEachListElement(accept_encoding, [&](std::string_view element) {
    const size_t semi = element.find(';');
    const std::string_view name = Trim(element.substr(0, semi));
    // Parameters: only q matters; q=0 (0, 0.0, 0.000) means "not acceptable".
    bool acceptable = true;
    std::string_view params = semi == std::string_view::npos ? "" : element.substr(semi + 1);
    while (!params.empty()) {
      const size_t next = params.find(';');
      const std::string_view param = Trim(params.substr(0, next));
      if (param.size() >= 2 && Lower(param[0]) == 'q' && param[1] == '=') {
        const std::string_view q = Trim(param.substr(2));
        bool zero = !q.empty() && q[0] == '0';
        for (size_t i = 1; zero && i < q.size(); ++i) zero = q[i] == '.' || q[i] == '0';
        acceptable = !zero;
      }
      if (next == std::string_view::npos) break;
      params.remove_prefix(next + 1);
    }
    if (EqualsIgnoreCase(name, "gzip") || EqualsIgnoreCase(name, "x-gzip")) {
      gzip = gzip.value_or(false) || acceptable;
    } else if (name == "*") {
      star = acceptable;
    }
  });
  if (gzip) return *gzip;
  return star.value_or(false);
}

namespace {

// Header fields the server writes itself; a handler's copies are dropped.
bool IsServerOwned(std::string_view name) {
  for (std::string_view owned :
       {"content-length", "transfer-encoding", "connection", "keep-alive", "server"}) {
    if (EqualsIgnoreCase(name, owned)) return true;
  }
  return false;
}

std::string_view ReasonPhrase(int status) {
  const auto s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s == bhttp::status::unknown) return "";
  return View(bhttp::obsolete_reason(s));
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

// Why a handler's response cannot be sent as is, or empty.
std::string Unsendable(const api::HttpResponse& resp) {
  if (resp.status < 200 || resp.status > 599) {
    return "handler returned HTTP status " + std::to_string(resp.status);
  }
  if (!IsFieldValue(resp.content_type)) return "handler returned an invalid Content-Type";
  for (const api::HttpHeader& h : resp.headers) {
    if (!IsToken(h.name) || !IsFieldValue(h.value)) {
      return "handler returned an invalid response header field";
    }
  }
  return {};
}

// The status line, Server, Content-Type and the handler's fields (minus those the server
// owns), without the framing and connection fields and the blank line.
void AppendStatusAndFields(std::string* head, const api::HttpResponse& resp) {
  head->reserve(160 + resp.content_type.size() + resp.headers.size() * 48);
  head->append("HTTP/1.1 ");  // our version, also to HTTP/1.0 clients (RFC 7230 2.6)
  head->append(std::to_string(resp.status));
  head->push_back(' ');
  head->append(ReasonPhrase(resp.status));
  head->append("\r\n");
  AppendField(head, "Server", "strix");
  if (!resp.content_type.empty()) AppendField(head, "Content-Type", resp.content_type);
  for (const api::HttpHeader& h : resp.headers) {
    if (!IsServerOwned(h.name) && !EqualsIgnoreCase(h.name, "content-type")) {
      AppendField(head, h.name, h.value);
    }
  }
}

// Connection: close when the connection will close, keep-alive to an HTTP/1.0 client
// that keeps it; then the blank line that ends the head.
void AppendConnection(std::string* head, bool keep_alive, bool http11) {
  if (!keep_alive) {
    AppendField(head, "Connection", "close");
  } else if (!http11) {
    AppendField(head, "Connection", "keep-alive");
  }
  head->append("\r\n");
}

}  // namespace

WireResponse SerializeResponse(api::HttpResponse resp, const RequestTraits& traits,
                               const ResponseOptions& options) {
  if (std::string why = Unsendable(resp); !why.empty()) resp = api::ErrorResponse(500, why);

  WireResponse out;
  out.status = resp.status;
  out.keep_alive = traits.keep_alive;
  const bool no_body = resp.status == 204 || resp.status == 304;

  bool handler_encoded = false;
  std::string* vary = nullptr;
  for (api::HttpHeader& h : resp.headers) {
    if (EqualsIgnoreCase(h.name, "content-encoding")) handler_encoded = true;
    if (EqualsIgnoreCase(h.name, "vary")) vary = &h.value;
  }
  const bool compressible = options.gzip_level > 0 && !no_body && !handler_encoded &&
                            resp.body.size() >= options.gzip_min_bytes &&
                            IsCompressibleType(resp.content_type);
  const bool gzip = compressible && traits.accepts_gzip && !traits.head;
  if (compressible) {
    // Caches must key on Accept-Encoding whether or not this client got gzip.
    if (vary == nullptr) {
      resp.headers.push_back({"Vary", "Accept-Encoding"});
    } else if (LowerCopy(*vary).find("accept-encoding") == std::string::npos &&
               Trim(*vary) != "*") {
      vary->append(", Accept-Encoding");
    }
  }

  std::string& head = out.head;
  AppendStatusAndFields(&head, resp);
  if (gzip) AppendField(&head, "Content-Encoding", "gzip");

  if (!no_body) {
    std::string body = gzip ? Gzip(resp.body, options.gzip_level) : std::move(resp.body);
    AppendField(&head, "Content-Length", std::to_string(body.size()));
    if (!traits.head) out.body = std::move(body);
  }
  AppendConnection(&head, traits.keep_alive, traits.http11);
  return out;
}

WireResponse SerializeStreamHead(const api::HttpResponse& resp, const RequestTraits& traits) {
  if (std::string why = Unsendable(resp); !why.empty()) {
    ResponseOptions identity;
    identity.gzip_level = 0;
    return SerializeResponse(api::ErrorResponse(500, why), traits, identity);
  }
  WireResponse out;
  out.status = resp.status;
  out.keep_alive = traits.keep_alive;
  AppendStatusAndFields(&out.head, resp);
  if (resp.status != 204 && resp.status != 304) {
    if (traits.http11) AppendField(&out.head, "Transfer-Encoding", "chunked");
    out.streamed = !traits.head;
    out.chunked = out.streamed && traits.http11;
    // HTTP/1.0 has no chunks: the end of the connection is the end of the body.
    if (out.streamed && !out.chunked) out.keep_alive = false;
  }
  AppendConnection(&out.head, out.keep_alive, traits.http11);
  return out;
}

void AppendChunk(std::string* out, std::string_view data) {
  if (data.empty()) return;
  static constexpr char kHex[] = "0123456789abcdef";
  char size[2 * sizeof(size_t)];
  size_t pos = sizeof size;
  for (size_t n = data.size(); n > 0; n >>= 4) size[--pos] = kHex[n & 0xf];
  out->append(size + pos, sizeof size - pos);
  out->append("\r\n");
  out->append(data);
  out->append("\r\n");
}

WireResponse SerializeRejection(const Rejection& rejection) {
  RequestTraits traits;  // HTTP/1.1, close, not HEAD, identity
  ResponseOptions options;
  options.gzip_level = 0;
  return SerializeResponse(api::ErrorResponse(rejection.status, rejection.message), traits,
                           options);
}

}  // namespace strix::server::http

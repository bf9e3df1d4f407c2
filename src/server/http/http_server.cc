// HttpServer on Boost.Asio (see http_server.h; the wire rules are in docs/wire/http.md).
//
// Structure:
//  * Core: what outlives the HttpServer object while a connection lives: the io_context,
//    the TLS context, the acceptor, the counters, and the registry of open sessions that
//    Stop() walks. Sessions hold a shared_ptr to it, declared first so that the
//    io_context dies after every socket and timer that uses it.
//  * Session<kTls>: one connection, confined to its strand. It reads into its own buffer,
//    feeds the bytes to a RequestDecoder (http_codec.h) and moves through the phases
//    below; one steady_timer enforces the deadline of the current phase.
//
//    kHandshake -> kIdle -> kReading [-> kContinue -> kReading] -> kHandling -> kWriting
//                    ^                                                            |
//                    +------------- keep-alive (or pipelined bytes: kReading) ----+
//    kWriting (no keep-alive) -> kLinger (plain) | kTlsShutdown (TLS) -> kClosed
//
//    A streamed response (stream_open set) goes kHandling -> kStreaming -> kStreamEnd,
//    then on as after kWriting. In kStreaming one read stays pending, so that the client
//    going away is seen at once, and at most one write (the head, or the chunks queued
//    so far) is in flight, under the write timeout; between writes there is no deadline.
//    kStreamEnd cancels that read so that the connection can go on to its next request.
//
//    kLinger shuts the sending side and discards what the client still sends for a
//    moment before closing, so that a client still sending a body it was refused (413)
//    reads the answer instead of a reset.
//  * The handler's `respond` captures the session's shared_ptr and posts the response to
//    its strand through Core::PostToSession, which drops posts once Stop() has closed the
//    gate (the io_context no longer runs).
//  * StreamState: a streamed body's queue, shared by the producer's StreamWriter (any
//    thread) and the session (its strand). It refers to the session weakly, so a writer
//    kept after the connection, or the whole server, is gone only reports closed().
#include "server/http/http_server.h"

#include <openssl/ssl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "core/log.h"
#include "core/mutex.h"
#include "server/http/http_codec.h"

namespace strix::server::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// Read buffer: starts small (idle keep-alive connections are the common case), doubles
// while reads fill it, up to kBodyReadBuffer (or the header limit, if larger).
constexpr size_t kMinReadBuffer = 4 << 10;
constexpr size_t kBodyReadBuffer = 64 << 10;
// After the last response on a plain connection: discard input for this long (or this
// many bytes) before closing. kDrainLinger while the server stops.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kDrainLinger = std::chrono::milliseconds(100);
constexpr size_t kLingerMaxBytes = 4 << 20;
// TLS close_notify exchange, at most.
constexpr auto kTlsShutdownTime = std::chrono::seconds(1);
// accept() failed for lack of descriptors or memory: retry after this.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Status codes counted one by one (a response's status is in 200..599).
constexpr int kStatusSlots = 600;

struct Counters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> read_timeouts{0};
  std::atomic<uint64_t> write_timeouts{0};
  std::atomic<uint64_t> idle_timeouts{0};
  std::atomic<uint64_t> tls_handshake_failures{0};
  std::atomic<uint64_t> accept_errors{0};
  std::atomic<uint64_t> streams_opened{0};
  std::atomic<uint64_t> streams_open{0};
  std::atomic<uint64_t> stream_overflows{0};
  std::array<std::atomic<uint64_t>, kStatusSlots> responses{};

  static void Add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
  void Response(int status) {
    if (status >= 0 && status < kStatusSlots) Add(responses[static_cast<size_t>(status)]);
  }
};

std::string FormatEndpoint(const tcp::endpoint& ep) {
  const net::ip::address a = ep.address();
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// What Stop() needs of a session, whatever its stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // From any thread: ends the session on its strand; at once if `force`, otherwise once
  // the request with the handler (if any) has been answered.
  virtual void PostShutdown(bool force) = 0;
  // From any thread: makes the session write what its stream has queued.
  virtual void PostStreamPump() = 0;
};

// The body of one streamed response, between its producer and its connection.
//
// Thread-safety: the producer's side (Write, Close, closed) from any thread, Stop()'s
// Close too; the connection's side (Take, aborted, Written, Abort) from the session's
// strand, or its destructor. No method is called with another lock held, and none calls out (posts
// to the session) while holding mu_: a session released there may be destroyed, which aborts its
// stream.
class StreamState {
 public:
  // A stream with no connection: closed from the start (HEAD, 204, 304, a 500).
  StreamState() : max_bytes_(0), closed_(true) {}
  StreamState(size_t max_bytes, std::weak_ptr<SessionBase> session)
      : max_bytes_(max_bytes), session_(std::move(session)) {}

  // api::StreamWriter::Write. Queues `chunk` and wakes the session, or fails once closed;
  // a chunk that would bring the queue past max_bytes_ closes the stream and has the
  // session drop the connection.
  bool Write(std::string chunk) STRIX_EXCLUDES(mu_) {
    bool wake = false;
    bool overflow = false;
    {
      MutexLock lock(&mu_);
      if (closed_) return false;
      if (chunk.empty()) return true;  // an empty chunk would end the body
      if (chunk.size() > max_bytes_ - queued_bytes_) {
        overflow = true;
        closed_ = true;
        abort_ = true;
        queue_.clear();
        wake = true;  // even while a pump is pending: the session must close at once
      } else {
        queued_bytes_ += chunk.size();
        queue_.push_back(std::move(chunk));
        wake = !pump_posted_;
      }
      pump_posted_ = true;
    }
    if (wake) Wake();
    return !overflow;
  }

  // api::StreamWriter::Close, and Stop(): no more writes; what is queued is written,
  // then the last chunk.
  void Close() STRIX_EXCLUDES(mu_) {
    bool wake = false;
    {
      MutexLock lock(&mu_);
      if (closed_) return;
      closed_ = true;
      finish_ = true;
      wake = !pump_posted_;
      pump_posted_ = true;
    }
    if (wake) Wake();
  }

  bool closed() const STRIX_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return closed_;
  }

  // What the session is to write next: every queued chunk (swapped into `chunks`, which
  // must be empty), whether the body ends after them, whether to drop the connection.
  void Take(std::vector<std::string>* chunks, bool* finish, bool* abort) STRIX_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    chunks->swap(queue_);
    *finish = finish_;
    *abort = abort_;
    pump_posted_ = false;
  }
  bool aborted() const STRIX_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return abort_;
  }
  // `payload` bytes of taken chunks reached the socket.
  void Written(size_t payload) STRIX_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    queued_bytes_ -= std::min(payload, queued_bytes_);
  }
  // The connection is gone (or the body is complete): nothing more will be written.
  void Abort() STRIX_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }

 private:
  void Wake() {
    if (std::shared_ptr<SessionBase> s = session_.lock()) s->PostStreamPump();
  }

  const size_t max_bytes_;
  const std::weak_ptr<SessionBase> session_;
  mutable Mutex mu_;
  std::vector<std::string> queue_ STRIX_GUARDED_BY(mu_);
  // Bytes of chunks accepted and not yet written: queued, or taken and being written.
  // Invariant: queued_bytes_ <= max_bytes_.
  size_t queued_bytes_ STRIX_GUARDED_BY(mu_) = 0;
  bool closed_ STRIX_GUARDED_BY(mu_) = false;  // Write() fails
  bool finish_ STRIX_GUARDED_BY(mu_) = false;  // end the body after the queue
  bool abort_ STRIX_GUARDED_BY(mu_) = false;   // overflow: drop the connection
  // A PostStreamPump is on its way (or the session is writing and will Take afterwards);
  // a later Write need not post another.
  bool pump_posted_ STRIX_GUARDED_BY(mu_) = false;
};

// The producer's handle. Dropping the last reference closes the stream, as Close() does,
// so a producer that forgets it cannot hold the connection forever.
class StreamHandle final : public api::StreamWriter {
 public:
  explicit StreamHandle(std::shared_ptr<StreamState> state) : state_(std::move(state)) {}
  ~StreamHandle() override { state_->Close(); }
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;

  bool Write(std::string chunk) override { return state_->Write(std::move(chunk)); }
  void Close() override { state_->Close(); }
  bool closed() const override { return state_->closed(); }

 private:
  const std::shared_ptr<StreamState> state_;
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(const HttpServerOptions& o, api::HttpHandler* h, size_t threads)
      : ioc(static_cast<int>(threads)),
        accept_strand(net::make_strand(ioc)),
        acceptor(accept_strand),
        retry_timer(accept_strand),
        options(o),
        handler(h) {
    limits.max_header_bytes = o.max_header_bytes;
    limits.max_body_bytes = o.max_body_bytes;
    response_options.gzip_level = o.response_gzip_level;
    response_options.gzip_min_bytes = o.response_gzip_min_bytes;
  }

  // Accept loop; runs on accept_strand.
  void DoAccept();
  void CloseAcceptor() {
    ErrorCode ec;
    acceptor.close(ec);
    retry_timer.cancel();
  }

  void Register(const std::shared_ptr<SessionBase>& s) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    sessions.emplace(s.get(), s);
    Counters::Add(counters.connections_open);
  }
  void Unregister(SessionBase* s) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    if (sessions.erase(s) == 0) return;
    counters.connections_open.fetch_sub(1, std::memory_order_relaxed);
    if (sessions.empty()) drained.SignalAll();
  }
  // Calls PostShutdown on every registered session; returns how many there were.
  size_t ShutdownSessions(bool force) STRIX_EXCLUDES(mu) {
    std::vector<std::weak_ptr<SessionBase>> all;
    {
      MutexLock lock(&mu);
      all.reserve(sessions.size());
      for (const auto& [key, weak] : sessions) all.push_back(weak);
    }
    size_t n = 0;
    for (const auto& weak : all) {
      if (std::shared_ptr<SessionBase> s = weak.lock()) {
        s->PostShutdown(force);
        ++n;
      }
    }
    return n;
  }
  // Waits until no session is registered or `deadline` passes; true if none is left.
  bool WaitDrained(Clock::time_point deadline) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    while (!sessions.empty()) {
      const auto now = Clock::now();
      if (now >= deadline) return false;
      drained.WaitFor(&mu, deadline - now);
    }
    return true;
  }
  // Posts `fn` to a session's strand unless Stop() has closed the gate. If it is
  // dropped, `fn` (and the session it holds) dies in the caller, outside the lock:
  // a session's destructor takes `mu`.
  template <typename Executor, typename Fn>
  void PostToSession(const Executor& ex, Fn& fn) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    if (posts_open) net::post(ex, std::move(fn));
  }
  void ClosePosts() STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    posts_open = false;
  }

  // Streams in progress, so that Stop() can close them to their producers at once.
  // RegisterStream is false once CloseStreams() ran: the caller closes the stream itself.
  bool RegisterStream(const std::shared_ptr<StreamState>& st) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    if (streams_closed) return false;
    streams.emplace(st.get(), st);
    return true;
  }
  void UnregisterStream(StreamState* st) STRIX_EXCLUDES(mu) {
    MutexLock lock(&mu);
    streams.erase(st);
  }
  // Closes every registered stream (and any registered later); returns how many.
  size_t CloseStreams() STRIX_EXCLUDES(mu) {
    std::vector<std::weak_ptr<StreamState>> all;
    {
      MutexLock lock(&mu);
      streams_closed = true;
      all.reserve(streams.size());
      for (const auto& [key, weak] : streams) all.push_back(weak);
    }
    size_t n = 0;
    for (const auto& weak : all) {
      if (std::shared_ptr<StreamState> st = weak.lock()) {
        st->Close();
        ++n;
      }
    }
    return n;
  }

  // First member: destroyed after every object below and every session's socket.
  net::io_context ioc;
  std::optional<ssl::context> tls;
  net::strand<net::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;         // used on accept_strand only
  net::steady_timer retry_timer;  // likewise
  const HttpServerOptions options;
  api::HttpHandler* const handler;
  DecoderLimits limits;
  ResponseOptions response_options;
  Counters counters;
  std::atomic<bool> stopping{false};

 private:
  void OnAccept(const ErrorCode& ec, tcp::socket socket);
  void StartSession(tcp::socket socket);

  Mutex mu;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions STRIX_GUARDED_BY(mu);
  CondVar drained;  // signalled when `sessions` becomes empty
  bool posts_open STRIX_GUARDED_BY(mu) = true;
  std::unordered_map<StreamState*, std::weak_ptr<StreamState>> streams STRIX_GUARDED_BY(mu);
  bool streams_closed STRIX_GUARDED_BY(mu) = false;
};

// One connection. Every member is touched only on the session's strand (and by the
// destructor, once nothing else refers to the session), so none needs a lock.
template <bool kTls>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<tcp::socket>, tcp::socket>;

  Session(std::shared_ptr<Core> core, tcp::socket socket, std::string remote)
      : core_(std::move(core)),
        executor_(socket.get_executor()),
        stream_(MakeStream(*core_, std::move(socket))),
        timer_(executor_),
        decoder_(core_->limits),
        remote_(std::move(remote)),
        buf_(kMinReadBuffer),
        buf_cap_(std::max(kBodyReadBuffer, core_->options.max_header_bytes + 1)) {}

  ~Session() override {
    DetachStream();
    if (!closed_) core_->Unregister(this);
  }

  // Posts Start() to the strand.
  void Begin() {
    net::post(executor_, [self = this->shared_from_this()] { self->Start(); });
  }

  void PostShutdown(bool force) override {
    net::post(executor_, [self = this->shared_from_this(), force] { self->OnShutdown(force); });
  }

  void PostStreamPump() override {
    auto fn = [self = this->shared_from_this()] { self->PumpStream(); };
    core_->PostToSession(executor_, fn);
  }

 private:
  enum class Phase {
    kHandshake,    // TLS handshake (deadline: read_timeout)
    kIdle,         // waiting for a request's first byte (read_timeout, then idle_timeout)
    kReading,      // a request is arriving (read_timeout from its first byte)
    kContinue,     // writing 100 Continue (read_timeout)
    kHandling,     // the handler has the request (no deadline)
    kWriting,      // writing the response (write_timeout)
    kStreaming,    // a streamed response: head, then chunks (write_timeout per write)
    kStreamEnd,    // the stream is complete; cancelling its pending read
    kLinger,       // plain: sending side shut, discarding input (kLingerTime)
    kTlsShutdown,  // TLS: close_notify exchange (kTlsShutdownTime)
    kClosed,
  };

  static Stream MakeStream(Core& core, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core.tls);
    } else {
      return socket;
    }
  }

  tcp::socket& Socket() { return beast::get_lowest_layer(stream_); }

  void ArmTimer(Clock::time_point deadline) {
    const uint64_t gen = ++timer_gen_;
    timer_.expires_at(deadline);  // cancels a pending wait
    timer_.async_wait(
        [self = this->shared_from_this(), gen](const ErrorCode& ec) { self->OnTimer(ec, gen); });
  }
  void DisarmTimer() {
    ++timer_gen_;
    timer_.cancel();
  }

  void Start() {
    if (closed_) return;
    if (core_->stopping.load()) {
      CloseNow();
      return;
    }
    ArmTimer(Clock::now() + core_->options.read_timeout);
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](const ErrorCode& ec) { self->OnHandshake(ec); });
    } else {
      phase_ = Phase::kIdle;
      DoRead();
    }
  }

  void OnHandshake(const ErrorCode& ec) {
    if (closed_) return;
    if (ec) {
      Counters::Add(core_->counters.tls_handshake_failures);
      CloseNow();
      return;
    }
    phase_ = Phase::kIdle;
    ArmTimer(Clock::now() + core_->options.read_timeout);
    DoRead();
  }

  void OnTimer(const ErrorCode& ec, uint64_t gen) {
    if (ec == net::error::operation_aborted || gen != timer_gen_ || closed_) return;
    Counters& c = core_->counters;
    switch (phase_) {
      case Phase::kHandshake:
      case Phase::kContinue:
        Counters::Add(c.read_timeouts);
        CloseNow();
        return;
      case Phase::kIdle:
        // No byte of a request yet: close quietly; there is nobody to answer.
        Counters::Add(first_request_ ? c.read_timeouts : c.idle_timeouts);
        CloseNow();
        return;
      case Phase::kReading: {
        // OnRead, called with operation_aborted (or with data that raced the timer),
        // answers 408.
        Counters::Add(c.read_timeouts);
        timed_out_ = true;
        ErrorCode ignored;
        Socket().cancel(ignored);
        return;
      }
      case Phase::kWriting:
        Counters::Add(c.write_timeouts);
        CloseNow();
        return;
      case Phase::kStreaming:
        if (stream_writing_) {
          Counters::Add(c.write_timeouts);
          CloseNow();
        }
        return;
      case Phase::kStreamEnd:
        return;
      case Phase::kLinger:
      case Phase::kTlsShutdown:
        CloseNow();
        return;
      case Phase::kHandling:
      case Phase::kClosed:
        return;
    }
  }

  // Ensures free space after end_; false if the buffer is full at its cap.
  bool MakeRoom() {
    if (begin_ == end_) begin_ = end_ = 0;
    if (grow_ && buf_.size() < buf_cap_) {
      buf_.resize(std::min(buf_cap_, buf_.size() * 2));
      grow_ = false;
    }
    if (end_ < buf_.size()) return true;
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      return true;
    }
    if (buf_.size() >= buf_cap_) return false;
    buf_.resize(std::min(buf_cap_, buf_.size() * 2));
    return true;
  }

  void DoRead() {
    read_pending_ = true;
    const size_t space = buf_.size() - end_;
    stream_.async_read_some(net::buffer(buf_.data() + end_, space),
                            [self = this->shared_from_this(), space](
                                const ErrorCode& ec, size_t n) { self->OnRead(ec, n, space); });
  }

  void OnRead(const ErrorCode& ec, size_t n, size_t space) {
    read_pending_ = false;
    if (closed_) return;
    Counters::Add(core_->counters.bytes_read, n);
    if (phase_ == Phase::kStreaming || phase_ == Phase::kStreamEnd) {
      // Bytes that arrive meanwhile are a pipelined request: kept for later.
      end_ += n;
      grow_ = n == space;
      if (phase_ == Phase::kStreamEnd) {
        if (ec && ec != net::error::operation_aborted) {
          CloseNow();
        } else {
          AfterResponse(stream_keep_alive_);
        }
      } else if (ec) {
        CloseNow();  // the client went away (EOF, reset): the stream ends with it
      } else {
        StreamRead();
      }
      return;
    }
    if (phase_ == Phase::kLinger) {
      lingered_ += n;
      begin_ = end_ = 0;
      if (ec || lingered_ > kLingerMaxBytes) {
        CloseNow();
      } else {
        DoRead();
      }
      return;
    }
    end_ += n;
    grow_ = n == space;
    if (timed_out_) {
      SendRejection({408, "request not received within " + Millis(core_->options.read_timeout)});
      return;
    }
    if (ec) {
      // The client finished sending (or the connection broke). A half-received request
      // gets its 400 in case the client still reads; a clean end just closes.
      if ((ec == net::error::eof || ec == ssl::error::stream_truncated) &&
          decoder_.FeedEof() == RequestDecoder::Event::kError) {
        SendRejection(decoder_.rejection());
        return;
      }
      CloseNow();
      return;
    }
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kReading;
      // The first request's clock started at the accept (or handshake).
      if (!first_request_) ArmTimer(Clock::now() + core_->options.read_timeout);
    }
    Process();
  }

  // Feeds the buffered bytes to the decoder and acts on what it reports.
  void Process() {
    for (;;) {
      size_t used = 0;
      const RequestDecoder::Event ev =
          decoder_.Feed(std::string_view(buf_.data() + begin_, end_ - begin_), &used);
      begin_ += used;
      switch (ev) {
        case RequestDecoder::Event::kNeedMore:
          if (!MakeRoom()) {
            SendRejection({431, "request line, header or chunk header exceeds " +
                                    std::to_string(buf_cap_ - 1) + " bytes"});
            return;
          }
          if (!decoder_.started() && !first_request_ && phase_ == Phase::kReading) {
            // Only blank lines arrived: still idle.
            phase_ = Phase::kIdle;
            ArmTimer(Clock::now() + core_->options.idle_timeout);
          }
          DoRead();
          return;
        case RequestDecoder::Event::kHeader:
          // Send 100 Continue unless the body has started arriving anyway.
          if (decoder_.expects_continue() && begin_ == end_) {
            WriteContinue();
            return;
          }
          continue;
        case RequestDecoder::Event::kRequest:
          Dispatch();
          return;
        case RequestDecoder::Event::kError:
          SendRejection(decoder_.rejection());
          return;
      }
    }
  }

  void WriteContinue() {
    phase_ = Phase::kContinue;
    net::async_write(stream_, net::buffer(kContinueResponse.data(), kContinueResponse.size()),
                     [self = this->shared_from_this()](const ErrorCode& ec, size_t n) {
                       self->OnContinueWritten(ec, n);
                     });
  }

  void OnContinueWritten(const ErrorCode& ec, size_t n) {
    Counters::Add(core_->counters.bytes_written, n);
    if (closed_) return;
    if (ec) {
      CloseNow();
      return;
    }
    phase_ = Phase::kReading;
    Process();
  }

  void Dispatch() {
    api::HttpRequest req;
    decoder_.TakeRequest(&req, &traits_);
    first_request_ = false;
    if (draining_ || core_->stopping.load()) {
      SendRejection({503, "server is shutting down"});
      return;
    }
    req.remote = remote_;
    req.tls = kTls;
    Counters::Add(core_->counters.requests);
    phase_ = Phase::kHandling;
    DisarmTimer();
    const uint64_t seq = ++seq_;
    auto self = this->shared_from_this();
    core_->handler->Handle(std::move(req), [self, seq](api::HttpResponse resp) {
      self->Respond(seq, std::move(resp));
    });
  }

  // Any thread: the handler's answer, posted to the strand.
  void Respond(uint64_t seq, api::HttpResponse resp) {
    auto fn = [self = this->shared_from_this(), seq, r = std::move(resp)]() mutable {
      self->OnResponse(seq, std::move(r));
    };
    core_->PostToSession(executor_, fn);
  }

  void OnResponse(uint64_t seq, api::HttpResponse resp) {
    // A second respond() for the same request, or one after a forced close, is ignored.
    if (closed_ || phase_ != Phase::kHandling || seq != seq_) return;
    traits_.keep_alive = traits_.keep_alive && !draining_ && !core_->stopping.load();
    if (resp.stream_open) {
      StartStream(std::move(resp));
      return;
    }
    out_ = SerializeResponse(std::move(resp), traits_, core_->response_options);
    StartWrite();
  }

  // ---- Streamed responses ----

  // Writes the head and hands the producer its writer, on this strand. A response that
  // can have no body (HEAD, 204, 304, or a 500 replacing an unusable response) is written
  // as usual and its producer gets a writer that is closed already.
  void StartStream(api::HttpResponse resp) {
    std::function<void(std::shared_ptr<api::StreamWriter>)> open = std::move(resp.stream_open);
    out_ = SerializeStreamHead(resp, traits_);
    std::shared_ptr<StreamState> state;
    if (!out_.streamed) {
      state = std::make_shared<StreamState>();
      StartWrite();
    } else {
      state = std::make_shared<StreamState>(core_->options.max_stream_buffer_bytes,
                                            this->weak_from_this());
      body_ = state;
      stream_chunked_ = out_.chunked;
      stream_keep_alive_ = out_.keep_alive;
      stream_status_ = out_.status;
      Counters::Add(core_->counters.streams_opened);
      Counters::Add(core_->counters.streams_open);
      if (!core_->RegisterStream(state)) state->Close();  // Stop() has begun
      phase_ = Phase::kStreaming;
      StreamWrite(std::move(out_.head), 0, false);
      out_ = WireResponse();
      StreamRead();
    }
    open(std::make_shared<StreamHandle>(std::move(state)));
  }

  // Keeps one read pending while streaming, into the free end of the buffer, so that the
  // client's going away is seen without a write. Stops when the buffer is full.
  void StreamRead() {
    if (read_pending_ || closed_ || phase_ != Phase::kStreaming) return;
    if (!MakeRoom()) return;
    DoRead();
  }

  void StreamWrite(std::string bytes, size_t payload, bool last) {
    stream_out_ = std::move(bytes);
    stream_payload_ = payload;
    stream_last_ = last;
    stream_writing_ = true;
    ArmTimer(Clock::now() + core_->options.write_timeout);
    net::async_write(stream_, net::buffer(stream_out_),
                     [self = this->shared_from_this()](const ErrorCode& ec, size_t n) {
                       self->OnStreamWritten(ec, n);
                     });
  }

  void OnStreamWritten(const ErrorCode& ec, size_t n) {
    Counters::Add(core_->counters.bytes_written, n);
    if (closed_) return;
    stream_writing_ = false;
    DisarmTimer();  // no deadline between writes: the producer sends its own heartbeats
    if (ec) {
      CloseNow();
      return;
    }
    if (stream_status_ != 0) {  // the head went out
      core_->counters.Response(stream_status_);
      stream_status_ = 0;
    }
    if (stream_payload_ > 0) body_->Written(stream_payload_);
    std::string().swap(stream_out_);
    if (stream_last_) {
      EndStream();
      return;
    }
    PumpStream();
  }

  // Writes what the producer queued, as one write; ends the body after Close().
  void PumpStream() {
    if (closed_ || phase_ != Phase::kStreaming || !body_) return;
    if (stream_writing_) {
      if (body_->aborted()) Overflowed();  // do not wait for the stuck write
      return;                              // OnStreamWritten pumps again
    }
    bool finish = false;
    bool abort = false;
    body_->Take(&taken_, &finish, &abort);
    if (abort) {
      taken_.clear();
      Overflowed();
      return;
    }
    std::string out;
    size_t payload = 0;
    for (std::string& chunk : taken_) {
      payload += chunk.size();
      if (stream_chunked_) {
        AppendChunk(&out, chunk);
      } else {
        out.append(chunk);
      }
    }
    taken_.clear();
    if (finish && stream_chunked_) out.append(kLastChunk);
    if (!out.empty()) {
      StreamWrite(std::move(out), payload, finish);
    } else if (finish) {
      EndStream();  // HTTP/1.0: closing the connection ends the body
    }
  }

  // The producer queued more than max_stream_buffer_bytes: the client reads too slowly.
  void Overflowed() {
    Counters::Add(core_->counters.stream_overflows);
    CloseNow();
  }

  // The body is complete: on to the next request (or the close), once the pending read
  // is back.
  void EndStream() {
    stream_keep_alive_ =
        stream_keep_alive_ && stream_chunked_ && !draining_ && !core_->stopping.load();
    DetachStream();
    phase_ = Phase::kStreamEnd;
    if (read_pending_) {
      ErrorCode ignored;
      Socket().cancel(ignored);  // OnRead goes on
      return;
    }
    AfterResponse(stream_keep_alive_);
  }

  // Ends the session's part in its stream: the producer sees closed().
  void DetachStream() {
    if (!body_) return;
    core_->counters.streams_open.fetch_sub(1, std::memory_order_relaxed);
    core_->UnregisterStream(body_.get());
    body_->Abort();
    body_.reset();
  }

  void SendRejection(const Rejection& rejection) {
    out_ = SerializeRejection(rejection);
    StartWrite();
  }

  void StartWrite() {
    phase_ = Phase::kWriting;
    ArmTimer(Clock::now() + core_->options.write_timeout);
    const std::array<net::const_buffer, 2> buffers = {net::buffer(out_.head),
                                                      net::buffer(out_.body)};
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this()](const ErrorCode& ec, size_t n) {
                       self->OnWritten(ec, n);
                     });
  }

  void OnWritten(const ErrorCode& ec, size_t n) {
    Counters::Add(core_->counters.bytes_written, n);
    if (closed_) return;
    if (ec) {
      CloseNow();
      return;
    }
    core_->counters.Response(out_.status);
    const bool keep_alive = out_.keep_alive && !draining_;
    out_ = WireResponse();
    AfterResponse(keep_alive);
  }

  // A response is out: read the next request, or close.
  void AfterResponse(bool keep_alive) {
    if (!keep_alive || draining_) {
      GracefulClose();
      return;
    }
    if (begin_ < end_) {  // a pipelined request is already here
      phase_ = Phase::kReading;
      ArmTimer(Clock::now() + core_->options.read_timeout);
      Process();
      return;
    }
    phase_ = Phase::kIdle;
    if (buf_.size() > kMinReadBuffer) {
      std::vector<char>(kMinReadBuffer).swap(buf_);
      begin_ = end_ = 0;
    }
    ArmTimer(Clock::now() + core_->options.idle_timeout);
    DoRead();
  }

  // After the last response: TLS close_notify, or lingering close for plain TCP.
  void GracefulClose() {
    if constexpr (kTls) {
      phase_ = Phase::kTlsShutdown;
      ArmTimer(Clock::now() + (draining_ ? std::chrono::milliseconds(kDrainLinger)
                                         : std::chrono::milliseconds(kTlsShutdownTime)));
      stream_.async_shutdown(
          [self = this->shared_from_this()](const ErrorCode&) { self->CloseNow(); });
    } else {
      ErrorCode ec;
      Socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) {
        CloseNow();
        return;
      }
      phase_ = Phase::kLinger;
      lingered_ = 0;
      begin_ = end_ = 0;
      ArmTimer(Clock::now() + (draining_ ? std::chrono::milliseconds(kDrainLinger)
                                         : std::chrono::milliseconds(kLingerTime)));
      DoRead();
    }
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::kClosed;
    DisarmTimer();
    DetachStream();
    ErrorCode ignored;
    Socket().close(ignored);
    core_->Unregister(this);
  }

  void OnShutdown(bool force) {
    if (closed_) return;
    draining_ = true;
    if (!force && body_) {
      // A stream is ended, not cut: what is queued, then the last chunk, then the close.
      // (Stop() has closed it to its producer already.)
      body_->Close();
      PumpStream();
      return;
    }
    // A request with the handler, or its response on the way, finishes first.
    if (!force &&
        (phase_ == Phase::kHandling || phase_ == Phase::kWriting || phase_ == Phase::kStreamEnd)) {
      return;
    }
    CloseNow();
  }

  // First member: keeps the io_context alive for the socket and timer below.
  const std::shared_ptr<Core> core_;
  const net::any_io_executor executor_;  // the strand
  Stream stream_;
  net::steady_timer timer_;
  RequestDecoder decoder_;
  const std::string remote_;

  // Received bytes not yet consumed by the decoder are buf_[begin_, end_).
  std::vector<char> buf_;
  const size_t buf_cap_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool grow_ = false;  // the last read filled the buffer: enlarge it

  Phase phase_ = Phase::kIdle;
  uint64_t timer_gen_ = 0;  // a timer callback from an older ArmTimer is stale
  uint64_t seq_ = 0;        // the request with the handler; respond() must match it
  bool closed_ = false;
  bool draining_ = false;      // Stop() asked: no keep-alive, no new requests
  bool timed_out_ = false;     // read_timeout passed: answer 408
  bool first_request_ = true;  // no request completed on this connection yet
  size_t lingered_ = 0;
  bool read_pending_ = false;  // a read into buf_ is in flight: do not move buf_
  RequestTraits traits_;
  WireResponse out_;

  // The streamed response in progress (kStreaming), or null.
  std::shared_ptr<StreamState> body_;
  std::vector<std::string> taken_;  // chunks being framed (kept for its capacity)
  std::string stream_out_;          // the write in flight: head or framed chunks
  size_t stream_payload_ = 0;       // chunk bytes in stream_out_
  int stream_status_ = 0;           // the head's status until the head is written
  bool stream_writing_ = false;
  bool stream_last_ = false;  // stream_out_ ends the body
  bool stream_chunked_ = false;
  bool stream_keep_alive_ = false;
};

void Core::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [self = shared_from_this()](const ErrorCode& ec, tcp::socket socket) {
                          self->OnAccept(ec, std::move(socket));
                        });
}

void Core::OnAccept(const ErrorCode& ec, tcp::socket socket) {
  if (stopping.load() || !acceptor.is_open()) return;
  if (ec) {
    Counters::Add(counters.accept_errors);
    const int err = ec.value();
    if (ec.category() == boost::system::system_category() &&
        (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)) {
      // Accepting again at once would spin; the backlog waits meanwhile.
      retry_timer.expires_after(kAcceptRetry);
      retry_timer.async_wait([self = shared_from_this()](const ErrorCode& wait_ec) {
        if (!wait_ec && !self->stopping.load()) self->DoAccept();
      });
      return;
    }
    DoAccept();
    return;
  }
  Counters::Add(counters.connections_accepted);
  if (counters.connections_open.load(std::memory_order_relaxed) >= options.max_connections) {
    Counters::Add(counters.connections_refused);
    ErrorCode ignored;
    socket.close(ignored);
  } else {
    StartSession(std::move(socket));
  }
  DoAccept();
}

void Core::StartSession(tcp::socket socket) {
  ErrorCode ec;
  socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  std::string remote = ec ? std::string("unknown") : FormatEndpoint(peer);
  if (tls) {
    auto s =
        std::make_shared<Session<true>>(shared_from_this(), std::move(socket), std::move(remote));
    Register(s);
    s->Begin();
  } else {
    auto s =
        std::make_shared<Session<false>>(shared_from_this(), std::move(socket), std::move(remote));
    Register(s);
    s->Begin();
  }
}

Status ValidateOptions(const HttpServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status::InvalidArgument(
        "TLS needs both tls_cert_file and tls_key_file",
        o.tls_cert_file.empty() ? "tls_key_file set alone" : "tls_cert_file set alone");
  }
  if (o.max_header_bytes < 256 || o.max_header_bytes > (64u << 20)) {
    return Status::InvalidArgument("max_header_bytes must be within 256 .. 64 MiB",
                                   std::to_string(o.max_header_bytes));
  }
  if (o.max_connections == 0) return Status::InvalidArgument("max_connections must be > 0");
  if (o.read_timeout.count() <= 0 || o.idle_timeout.count() <= 0 || o.write_timeout.count() <= 0) {
    return Status::InvalidArgument("read_timeout, idle_timeout and write_timeout must be > 0");
  }
  if (o.max_stream_buffer_bytes == 0) {
    return Status::InvalidArgument("max_stream_buffer_bytes must be > 0");
  }
  if (o.response_gzip_level < 0 || o.response_gzip_level > 9) {
    return Status::InvalidArgument("response_gzip_level must be within 0 .. 9",
                                   std::to_string(o.response_gzip_level));
  }
  return Status::Ok();
}

// A TLS file that cannot be opened: NotFound or PermissionDenied naming it.
Status CheckReadable(const std::string& path, std::string_view what) {
  if (::access(path.c_str(), R_OK) == 0) return Status::Ok();
  return Status::FromErrno(errno, "cannot read " + std::string(what), path);
}

Status LoadTls(const HttpServerOptions& o, ssl::context* ctx) {
  STRIX_RETURN_IF_ERROR(CheckReadable(o.tls_cert_file, "TLS certificate file"));
  STRIX_RETURN_IF_ERROR(CheckReadable(o.tls_key_file, "TLS key file"));
  ErrorCode ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::single_dh_use,
                   ec);
  if (ec) return Status::Internal("TLS: cannot set context options", ec.message());
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("cannot load TLS certificate chain (PEM)",
                                   o.tls_cert_file + ": " + ec.message());
  }
  ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument("cannot load TLS private key (PEM)",
                                   o.tls_key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Status::InvalidArgument("TLS private key does not match the certificate",
                                   o.tls_key_file + " vs " + o.tls_cert_file);
  }
  return Status::Ok();
}

void NameThread(const std::string& name) {
  std::string n = name.substr(0, 15);  // the kernel's limit
  pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace

// ---- HttpServerStats ----

uint64_t HttpServerStats::ResponsesWith(int status) const {
  for (const auto& [code, count] : responses) {
    if (code == status) return count;
  }
  return 0;
}

std::vector<HttpServerStats::Metric> HttpServerStats::Metrics() const {
  return {
      {"requests_total", "Complete requests handed to the handler.", false, requests},
      {"read_bytes_total", "Bytes read from client connections.", false, bytes_read},
      {"written_bytes_total", "Bytes written to client connections.", false, bytes_written},
      {"connections_accepted_total", "Connections accepted.", false, connections_accepted},
      {"connections_open", "Connections open now.", true, connections_open},
      {"connections_refused_total", "Connections closed at once: max_connections reached.", false,
       connections_refused},
      {"read_timeouts_total", "Requests (408) or TLS handshakes not received in time.", false,
       read_timeouts},
      {"write_timeouts_total", "Responses the client did not read in time.", false, write_timeouts},
      {"idle_timeouts_total", "Keep-alive connections closed for idleness.", false, idle_timeouts},
      {"tls_handshake_failures_total", "TLS handshakes that failed.", false,
       tls_handshake_failures},
      {"accept_errors_total", "accept() failures.", false, accept_errors},
      {"streams_opened_total", "Streamed responses begun.", false, streams_opened},
      {"streams_open", "Streamed responses in progress now.", true, streams_open},
      {"stream_overflows_total",
       "Streams cut because the client read too slowly (max_stream_buffer_bytes).", false,
       stream_overflows},
  };
}

// ---- HttpServer ----

struct HttpServer::Impl {
  std::shared_ptr<Core> core;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> workers;
  uint16_t port = 0;
  std::string endpoint;  // for logs

  Mutex stop_mu;
  bool stopped STRIX_GUARDED_BY(stop_mu) = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      api::HttpHandler* handler) {
  STRIX_CHECK_MSG(handler != nullptr, "HttpServer::Start without a handler");
  STRIX_RETURN_IF_ERROR(ValidateOptions(options));
  ErrorCode ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) {
    return Status::InvalidArgument("listen address is not an IP address", options.address);
  }
  const size_t threads = options.threads > 0
                             ? options.threads
                             : std::max<size_t>(1, std::thread::hardware_concurrency());

  auto impl = std::make_unique<Impl>();
  impl->core = std::make_shared<Core>(options, handler, threads);
  Core& core = *impl->core;
  if (!options.tls_cert_file.empty()) {
    core.tls.emplace(ssl::context::tls_server);
    STRIX_RETURN_IF_ERROR(LoadTls(options, &*core.tls));
  }

  const tcp::endpoint want(address, options.port);
  const std::string where = options.name + " listener on " + FormatEndpoint(want);
  core.acceptor.open(want.protocol(), ec);
  if (ec) return Status::Unavailable("cannot open socket for the " + where, ec.message());
  core.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  core.acceptor.bind(want, ec);
  if (ec) return Status::Unavailable("cannot bind the " + where, ec.message());
  core.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen for the " + where, ec.message());
  const tcp::endpoint bound = core.acceptor.local_endpoint(ec);
  if (ec) return Status::Unavailable("cannot read the bound port of the " + where, ec.message());
  impl->port = bound.port();
  impl->endpoint = FormatEndpoint(bound);

  net::post(core.accept_strand, [c = impl->core] { c->DoAccept(); });
  impl->work.emplace(core.ioc.get_executor());
  impl->workers.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    impl->workers.emplace_back([c = impl->core, name = "http-" + options.name] {
      NameThread(name);
      c->ioc.run();
    });
  }
  STRIX_LOG(kInfo, "http: listening", "server", options.name, "address", impl->endpoint, "tls",
            core.tls.has_value(), "threads", threads);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop(std::chrono::milliseconds drain) {
  {
    MutexLock lock(&impl_->stop_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  Core& core = *impl_->core;
  const auto deadline = Clock::now() + drain;
  core.stopping.store(true);
  net::post(core.accept_strand, [c = impl_->core] { c->CloseAcceptor(); });
  // Producers see closed() before anything else happens; their queues are still written.
  const size_t streams = core.CloseStreams();
  const size_t open = core.ShutdownSessions(/*force=*/false);
  size_t forced = 0;
  if (!core.WaitDrained(deadline)) forced = core.ShutdownSessions(/*force=*/true);
  core.ClosePosts();
  impl_->work.reset();
  core.ioc.stop();
  for (std::thread& t : impl_->workers) t.join();
  impl_->workers.clear();
  // Run what the workers left queued (forced closes, cancelled waits) so that no
  // completion handler keeps a session, and through it the Core, alive.
  core.ioc.restart();
  while (core.ioc.poll() > 0) {
  }
  const HttpServerStats s = stats();
  STRIX_LOG(kInfo, "http: stopped", "server", core.options.name, "address", impl_->endpoint,
            "connections_open_at_stop", open, "streams_open_at_stop", streams, "connections_cut",
            forced, "requests", s.requests);
}

HttpServerStats HttpServer::stats() const {
  const Counters& c = impl_->core->counters;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  HttpServerStats s;
  s.requests = get(c.requests);
  s.bytes_read = get(c.bytes_read);
  s.bytes_written = get(c.bytes_written);
  s.connections_accepted = get(c.connections_accepted);
  s.connections_open = get(c.connections_open);
  s.connections_refused = get(c.connections_refused);
  s.read_timeouts = get(c.read_timeouts);
  s.write_timeouts = get(c.write_timeouts);
  s.idle_timeouts = get(c.idle_timeouts);
  s.tls_handshake_failures = get(c.tls_handshake_failures);
  s.accept_errors = get(c.accept_errors);
  s.streams_opened = get(c.streams_opened);
  s.streams_open = get(c.streams_open);
  s.stream_overflows = get(c.stream_overflows);
  for (int code = 0; code < kStatusSlots; ++code) {
    const uint64_t n = get(c.responses[static_cast<size_t>(code)]);
    if (n > 0) s.responses.emplace_back(code, n);
  }
  return s;
}

}  // namespace strix::server::http

// strix-agent's runtime (see agent.h).
#include "agents/agent/agent.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>

#include "agents/agent/gzip.h"
#include "agents/agent/hub_input.h"
#include "agents/agent/scheduler.h"
#include "agents/agent/sender.h"
#include "agents/buffer/disk_buffer.h"
#include "agents/common/http_client.h"
#include "agents/httpd/server.h"
#include "agents/lineproto/lineproto.h"
#include "agents/linux/linux_input.h"
#include "agents/linux/linux_pattoo.h"
#include "agents/modbus/modbus_input.h"
#include "agents/pattoo/decode.h"
#include "agents/pattoo/encode.h"
#include "agents/script/script_input.h"
#include "agents/snmp/snmp_ifmib.h"
#include "agents/snmp/snmp_input.h"
#include "core/log.h"

namespace strix::agents {

std::string LocalHostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

Result<std::string> LoadOrCreateAgentId(Env& env, const std::string& state_dir) {
  const std::string path = JoinPath(state_dir, "agent_id");
  if (env.FileExists(path)) {
    STRIX_ASSIGN_OR_RETURN(auto f, env.NewRandomAccessFile(path));
    char buf[128];
    STRIX_ASSIGN_OR_RETURN(size_t n, f->ReadAt(0, sizeof(buf), buf));
    std::string id(buf, n);
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
    if (!pattoo::IsValidAgentId(id)) {
      return Status::Corruption("agent_id file does not hold 64 hex digits", path);
    }
    return id;
  }
  std::string id = pattoo::NewAgentId();
  const std::string tmp = path + ".tmp";
  {
    STRIX_ASSIGN_OR_RETURN(auto f, env.NewWritableFile(tmp));
    STRIX_RETURN_IF_ERROR(f->Append(id));
    STRIX_RETURN_IF_ERROR(f->Sync());
    STRIX_RETURN_IF_ERROR(f->Close());
  }
  STRIX_RETURN_IF_ERROR(env.RenameFile(tmp, path));
  STRIX_RETURN_IF_ERROR(env.SyncDir(state_dir));
  STRIX_LOG(kInfo, "agent: new agent id", "agent_id", id, "file", path);
  return id;
}

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

bool HasTag(const Point& p, std::string_view key) {
  for (const auto& [k, v] : p.tags)
    if (k == key) return true;
  return false;
}

// Adds a label unless the point already carries one of that name.
void AddTag(Point* p, const std::string& k, const std::string& v) {
  if (!HasTag(*p, k)) p->tags.emplace_back(k, v);
}

class AgentImpl;

// The agent's own figures, collected like any input and sent with the data.
class SelfInput final : public Input {
 public:
  explicit SelfInput(AgentImpl* a) : agent_(a) {}
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

 private:
  AgentImpl* agent_;
};

class AgentImpl final : public Agent {
 public:
  AgentImpl(AgentConfig c, Env& env, Clock& clock)
      : config_(std::move(c)), env_(env), clock_(clock) {}
  // Stops the threads before any member they use goes away.
  ~AgentImpl() override { (void)Stop(); }

  Status Init();
  Status Stop() override;
  const std::string& agent_id() const override { return agent_id_; }
  int spoke_port() const override { return spoke_ ? spoke_->port() : 0; }

  // Called on an input's thread with its round.
  void OnRound(const ScheduledInput& in, int64_t tick_ms, std::vector<Point>& points);

  AgentConfig config_;
  Env& env_;
  Clock& clock_;
  std::unique_ptr<FileLock> lock_;
  std::string agent_id_;
  std::string host_;
  std::unique_ptr<buffer::DiskBuffer> buffer_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<httpd::Server> spoke_;
  std::mutex spoke_mu_;
  std::unique_ptr<linuxhost::LinuxInput> spoke_linux_;
  std::optional<linuxhost::PlatformInfo> platform_;
  std::atomic<uint64_t> lost_records_{0};  // rounds (or parts) not compressed or buffered
  std::atomic<uint64_t> records_appended_{0};
  bool stopped_ = false;

 private:
  const InputConfig* FindInput(const std::string& name) const {
    for (const auto& in : config_.inputs)
      if (in.name == name) return &in;
    return nullptr;
  }
  void Label(Point* p, const std::string& input, const Labels& input_labels) const;
  httpd::Response ServeSpoke(const httpd::Request& req);
};

void AgentImpl::Label(Point* p, const std::string& input, const Labels& input_labels) const {
  AddTag(p, "host", host_);
  AddTag(p, "agent", agent_id_);
  AddTag(p, "input", input);
  for (const auto& [k, v] : input_labels) AddTag(p, k, v);
  for (const auto& [k, v] : config_.labels) AddTag(p, k, v);
}

void AgentImpl::OnRound(const ScheduledInput& in, int64_t tick_ms, std::vector<Point>& points) {
  const InputConfig* ic = FindInput(in.name);
  static const Labels kNone;
  const Labels& input_labels = ic ? ic->labels : kNone;
  std::string body;
  body.reserve(4096);
  // A record must fit the buffer with room to spare: at most a quarter of it.
  const uint64_t batch_bytes = std::min<uint64_t>(
      config_.server.max_batch_bytes, std::max<uint64_t>(4096, config_.buffer.max_bytes / 4));
  auto flush = [&]() {
    if (body.empty()) return;
    Result<std::string> z = GzipCompress(body);
    body.clear();
    if (!z.ok()) {
      lost_records_.fetch_add(1, std::memory_order_relaxed);
      STRIX_LOG(kError, "agent: cannot compress a round; it is lost", "input", in.name, "error",
                z.status().ToString());
      return;
    }
    // A round is kept only once it is in the buffer. If the disk refuses it (full, I/O
    // error), try again briefly: the round's data exists nowhere else.
    for (int attempt = 0;; ++attempt) {
      Result<uint64_t> seq = buffer_->Append(*z, tick_ms);
      if (seq.ok()) {
        records_appended_.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      if (attempt == 0) {
        STRIX_LOG(kError, "agent: cannot buffer a round (disk full?)", "input", in.name, "error",
                  seq.status().ToString());
      }
      if (attempt >= 2 || seq.status().code() == StatusCode::kInvalidArgument) {
        lost_records_.fetch_add(1, std::memory_order_relaxed);
        STRIX_LOG(kError, "agent: a round could not be buffered; it is lost", "input", in.name,
                  "attempts", attempt + 1);
        return;
      }
      clock_.SleepMillis(200);
    }
    sender_->Notify();
  };
  for (Point& p : points) {
    Label(&p, in.name, input_labels);
    const size_t before = body.size();
    lineproto::Encode(p, &body);
    if (body.size() > batch_bytes && before > 0) {
      // This point would push the record past the limit: it starts the next one.
      std::string tail = body.substr(before);
      body.resize(before);
      flush();
      body = std::move(tail);
    }
  }
  flush();
}

Status SelfInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  AgentImpl* a = agent_;
  buffer::BufferStats b = a->buffer_->Stats();
  const SenderStats& s = a->sender_->stats();
  Point p;
  p.measurement = "strix_agent";
  p.timestamp_ms = ctx.now_ms;
  auto g = [&](const char* k, double v) { p.fields.push_back({k, FieldValue::Gauge(v)}); };
  auto c = [&](const char* k, uint64_t v) { p.fields.push_back({k, FieldValue::Counter(v)}); };
  g("buffer_bytes", static_cast<double>(b.pending_bytes));
  g("buffer_records", static_cast<double>(b.pending_records));
  g("buffer_disk_bytes", static_cast<double>(b.disk_bytes));
  g("buffer_oldest_age_seconds",
    b.oldest_pending_ms < 0 ? 0.0 : std::max<int64_t>(0, ctx.now_ms - b.oldest_pending_ms) / 1e3);
  c("buffer_dropped_records", b.dropped_records);
  c("buffer_dropped_bytes", b.dropped_bytes);
  c("buffer_corrupt_records", b.corrupt_records);
  c("buffer_lost_records", a->lost_records_.load(std::memory_order_relaxed));
  c("posts_ok", s.posts_ok.load(std::memory_order_relaxed));
  c("posts_failed", s.posts_failed.load(std::memory_order_relaxed));
  c("records_rejected", s.records_rejected.load(std::memory_order_relaxed));
  c("sent_bytes", s.bytes_sent.load(std::memory_order_relaxed));
  out->push_back(std::move(p));
  for (const auto& in : a->scheduler_->inputs()) {
    Point q;
    q.measurement = "strix_agent_input";
    q.timestamp_ms = ctx.now_ms;
    q.tags.emplace_back("name", in->name);
    int64_t d = in->stats.last_duration_ms.load(std::memory_order_relaxed);
    if (d >= 0) q.fields.push_back({"duration_ms", FieldValue::Gauge(static_cast<double>(d))});
    q.fields.push_back({"points", FieldValue::Gauge(static_cast<double>(
                                      in->stats.last_points.load(std::memory_order_relaxed)))});
    q.fields.push_back({"runs", FieldValue::Counter(in->stats.runs.load())});
    q.fields.push_back({"failures", FieldValue::Counter(in->stats.failures.load())});
    q.fields.push_back({"timeouts", FieldValue::Counter(in->stats.timeouts.load())});
    q.fields.push_back({"skipped", FieldValue::Counter(in->stats.skipped.load())});
    // What each kind of input counts on its own.
    const Input* raw = in->input.get();
    if (const auto* l = dynamic_cast<const linuxhost::LinuxInput*>(raw)) {
      q.fields.push_back({"read_errors", FieldValue::Counter(l->read_errors())});
    } else if (const auto* sc = dynamic_cast<const script::ScriptInput*>(raw)) {
      script::ScriptInput::Counters k = sc->counters();
      q.fields.push_back({"script_runs", FieldValue::Counter(k.runs)});
      q.fields.push_back({"script_timeouts", FieldValue::Counter(k.timeouts)});
      q.fields.push_back({"script_failures", FieldValue::Counter(k.failures)});
      q.fields.push_back({"script_garbage_lines", FieldValue::Counter(k.garbage_lines)});
      q.fields.push_back({"script_garbage_outputs", FieldValue::Counter(k.garbage_outputs)});
      q.fields.push_back({"script_garbage_values", FieldValue::Counter(k.garbage_values)});
      q.fields.push_back({"script_oversize", FieldValue::Counter(k.oversize)});
      q.fields.push_back({"script_skipped", FieldValue::Counter(k.skipped)});
      for (const auto& [script, ms] : sc->last_durations_ms()) {
        Point d;
        d.measurement = "strix_agent_script";
        d.timestamp_ms = ctx.now_ms;
        d.tags = {{"name", in->name}, {"script", script}};
        d.fields.push_back({"duration_ms", FieldValue::Gauge(static_cast<double>(ms))});
        out->push_back(std::move(d));
      }
    } else if (const auto* h = dynamic_cast<const HubInput*>(raw)) {
      HubInput::Counters k = h->counters();
      q.fields.push_back({"spoke_polls", FieldValue::Counter(k.polls)});
      q.fields.push_back({"spoke_failures", FieldValue::Counter(k.failures)});
      q.fields.push_back({"spoke_bad_points", FieldValue::Counter(k.bad_points)});
    } else if (const auto* m = dynamic_cast<const modbus::ModbusInput*>(raw)) {
      modbus::ModbusStats k = m->Stats();
      q.fields.push_back({"modbus_requests", FieldValue::Counter(k.requests)});
      q.fields.push_back({"modbus_requests_failed", FieldValue::Counter(k.requests_failed)});
      q.fields.push_back({"modbus_timeouts", FieldValue::Counter(k.timeouts)});
      q.fields.push_back({"modbus_refused", FieldValue::Counter(k.refused)});
      q.fields.push_back({"modbus_connect_errors", FieldValue::Counter(k.connect_errors)});
      q.fields.push_back({"modbus_exceptions", FieldValue::Counter(k.exceptions)});
      q.fields.push_back({"modbus_io_errors", FieldValue::Counter(k.io_errors)});
      q.fields.push_back({"modbus_decode_errors", FieldValue::Counter(k.decode_errors)});
      q.fields.push_back({"modbus_connects", FieldValue::Counter(k.connects)});
      q.fields.push_back({"modbus_backoff_skips", FieldValue::Counter(k.backoff_skips)});
      q.fields.push_back({"modbus_deadline_skips", FieldValue::Counter(k.deadline_skips)});
    } else if (const auto* sn = dynamic_cast<const snmp::SnmpInput*>(raw)) {
      snmp::SnmpCounters k = sn->counters();
      q.fields.push_back({"snmp_requests", FieldValue::Counter(k.requests)});
      q.fields.push_back({"snmp_targets_ok", FieldValue::Counter(k.targets_ok)});
      q.fields.push_back({"snmp_timeouts", FieldValue::Counter(k.timeouts)});
      q.fields.push_back({"snmp_auth_errors", FieldValue::Counter(k.auth_errors)});
      q.fields.push_back({"snmp_other_errors", FieldValue::Counter(k.other_errors)});
      q.fields.push_back({"snmp_deadline", FieldValue::Counter(k.deadline)});
      q.fields.push_back({"snmp_partial", FieldValue::Counter(k.partial)});
      q.fields.push_back({"snmp_varbinds", FieldValue::Counter(k.varbinds)});
      q.fields.push_back({"snmp_gaps", FieldValue::Counter(k.gaps)});
    } else if (const auto* im = dynamic_cast<const snmp::SnmpIfMibInput*>(raw)) {
      snmp::SnmpIfMibInput::Counters k = im->counters();
      q.fields.push_back({"snmp_polls", FieldValue::Counter(k.polls)});
      q.fields.push_back({"snmp_failures", FieldValue::Counter(k.failures)});
      q.fields.push_back({"snmp_timeouts", FieldValue::Counter(k.timeouts)});
      q.fields.push_back({"snmp_auth_errors", FieldValue::Counter(k.auth_errors)});
      q.fields.push_back({"snmp_deadline", FieldValue::Counter(k.deadline)});
      q.fields.push_back({"snmp_interface_points", FieldValue::Counter(k.interfaces)});
      q.fields.push_back({"snmp_hc_fallbacks", FieldValue::Counter(k.hc_fallbacks)});
      q.fields.push_back({"snmp_hc_missing", FieldValue::Counter(k.hc_missing)});
      q.fields.push_back({"snmp_bad_values", FieldValue::Counter(k.bad_values)});
    }
    out->push_back(std::move(q));
  }
  return Status::Ok();
}

// This host's data could not be read at all: a hub must see a gap, not an empty page.
httpd::Response SpokeUnavailable(const Status& st) {
  httpd::Response r;
  r.status = 503;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "unavailable: cannot read this host's data: " + st.ToString() + "\n";
  return r;
}

httpd::Response AgentImpl::ServeSpoke(const httpd::Request& req) {
  httpd::Response r;
  const int64_t now = clock_.NowMillis();
  constexpr std::string_view kPattooPrefix = "/pattoo-agent-linux/";
  if (req.path.starts_with(kPattooPrefix)) {
    std::string_view n = std::string_view(req.path).substr(kPattooPrefix.size());
    int64_t seconds = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), seconds);
    if (ec != std::errc() || p != n.data() + n.size() || seconds <= 0 || seconds > 86'400 * 365) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "not found: the interval must be a whole number of seconds\n";
      return r;
    }
    std::vector<Point> points;
    std::vector<PattooDatapoint> dps;
    {
      std::lock_guard<std::mutex> lock(spoke_mu_);
      CollectContext ctx;
      ctx.now_ms = now;
      ctx.interval_ms = seconds * 1000;
      ctx.deadline_mono_ns = clock_.MonotonicNanos() + 5'000'000'000LL;
      Status st = spoke_linux_->Collect(ctx, &points);
      if (!st.ok()) return SpokeUnavailable(st);
      (void)linuxhost::ToPattoo(points, *platform_, &dps, &spoke_linux_->pattoo_extras());
    }
    pattoo::PostInfo info;
    info.agent_id = agent_id_;
    info.agent_program = "pattoo_agent_linux_spoked";
    info.agent_hostname = platform_->hostname;
    info.polled_target = platform_->hostname;
    info.polling_interval_ms = seconds * 1000;
    info.timestamp_ms = now;
    r.status = 200;
    r.content_type = "application/json";
    r.body = pattoo::EncodePost(info, dps);
    return r;
  }
  if (req.path == "/strix/v1/points") {
    if (!config_.spoke.token.empty()) {
      std::string_view auth = req.authorization;
      if (auth != "Bearer " + config_.spoke.token) {
        r.status = 401;
        r.content_type = "text/plain; charset=utf-8";
        r.body = "unauthorized: send Authorization: Bearer <spoke token>\n";
        return r;
      }
    }
    std::vector<Point> points;
    {
      std::lock_guard<std::mutex> lock(spoke_mu_);
      CollectContext ctx;
      ctx.now_ms = now;
      ctx.interval_ms = 10'000;
      ctx.deadline_mono_ns = clock_.MonotonicNanos() + 5'000'000'000LL;
      Status st = spoke_linux_->Collect(ctx, &points);
      if (!st.ok()) return SpokeUnavailable(st);
    }
    r.body.reserve(points.size() * 96);
    for (Point& p : points) {
      Label(&p, "spoke", {});
      lineproto::Encode(p, &r.body);
    }
    r.status = 200;
    r.content_type = "text/plain; charset=utf-8";
    return r;
  }
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "not found: GET /pattoo-agent-linux/<seconds> or /strix/v1/points\n";
  return r;
}

Status AgentImpl::Init() {
  STRIX_RETURN_IF_ERROR(env_.CreateDirs(config_.state_dir));
  {
    Result<std::unique_ptr<FileLock>> lock = env_.LockFile(JoinPath(config_.state_dir, "LOCK"));
    if (!lock.ok()) {
      return Status::FailedPrecondition("another strix-agent uses this state directory",
                                        config_.state_dir);
    }
    lock_ = std::move(*lock);
  }
  STRIX_ASSIGN_OR_RETURN(agent_id_, LoadOrCreateAgentId(env_, config_.state_dir));
  host_ = config_.host.empty() ? LocalHostName() : config_.host;

  buffer::BufferOptions bo;
  bo.dir = JoinPath(config_.state_dir, "buffer");
  bo.max_bytes = config_.buffer.max_bytes;
  bo.max_age_ms = config_.buffer.max_age_ms;
  bo.segment_bytes = config_.buffer.segment_bytes;
  STRIX_ASSIGN_OR_RETURN(buffer_, buffer::DiskBuffer::Open(env_, clock_, bo));
  {
    buffer::BufferStats b = buffer_->Stats();
    if (b.pending_records > 0) {
      STRIX_LOG(kInfo, "agent: buffered records from an earlier run will be sent", "records",
                b.pending_records, "bytes", b.pending_bytes);
    }
  }

  sender_ = std::make_unique<Sender>(config_.server, buffer_.get(), clock_);
  scheduler_ = std::make_unique<Scheduler>(
      clock_, agent_id_, [this](const ScheduledInput& in, int64_t tick, std::vector<Point>& pts) {
        OnRound(in, tick, pts);
      });
  for (const InputConfig& ic : config_.inputs) {
    std::unique_ptr<Input> input;
    switch (ic.type) {
      case InputType::kLinux:
        input = std::make_unique<linuxhost::LinuxInput>(ic.linux_options);
        break;
      case InputType::kScript:
        input = std::make_unique<script::ScriptInput>(ic.script_options);
        break;
      case InputType::kHub:
        input = std::make_unique<HubInput>(ic.hub_options, clock_);
        break;
      case InputType::kModbus:
        input = std::make_unique<modbus::ModbusInput>(ic.modbus_options, clock_);
        break;
      case InputType::kSnmp:
        input = std::make_unique<snmp::SnmpInput>(ic.snmp_options, ic.name);
        break;
      case InputType::kSnmpIfMib:
        input = std::make_unique<snmp::SnmpIfMibInput>(ic.snmp_ifmib_options, ic.name);
        break;
    }
    scheduler_->Add(ic.name, ic.interval_ms, ic.EffectiveTimeoutMs(), std::move(input));
  }
  if (config_.self_metrics_interval_ms > 0) {
    scheduler_->Add("agent", config_.self_metrics_interval_ms,
                    std::min<int64_t>(config_.self_metrics_interval_ms, 5'000),
                    std::make_unique<SelfInput>(this));
  }

  if (config_.spoke.enabled) {
    spoke_linux_ = std::make_unique<linuxhost::LinuxInput>(config_.spoke.linux_options);
    platform_ = linuxhost::PlatformInfo::Read(config_.spoke.linux_options);
    httpd::ServerOptions so;
    so.address = config_.spoke.address;
    so.port = config_.spoke.port;
    spoke_ = std::make_unique<httpd::Server>(
        so, [this](const httpd::Request& r) { return ServeSpoke(r); });
    STRIX_RETURN_IF_ERROR(spoke_->Start());
    if (config_.spoke.token.empty() && config_.spoke.address != "127.0.0.1" &&
        config_.spoke.address != "::1") {
      STRIX_LOG(kWarn, "agent: the spoke serves this host's data without authentication", "address",
                config_.spoke.address, "port", spoke_->port());
    }
  }
  sender_->Start();
  scheduler_->Start();
  STRIX_LOG(kInfo, "agent: started", "agent_id", agent_id_, "host", host_, "inputs",
            config_.inputs.size(), "server", config_.server.urls.front());
  return Status::Ok();
}

Status AgentImpl::Stop() {
  if (stopped_) return Status::Ok();
  stopped_ = true;
  // Everything is told to stop first, so the waits below overlap: the sender abandons its
  // post in flight (the record stays buffered) while the inputs finish their rounds.
  if (sender_) sender_->RequestStop();
  if (spoke_) spoke_->Stop();
  if (scheduler_) scheduler_->Stop();
  if (sender_) sender_->Stop();
  Status st = buffer_ ? buffer_->Sync() : Status::Ok();
  if (buffer_) {
    buffer::BufferStats b = buffer_->Stats();
    STRIX_LOG(kInfo, "agent: stopped; the buffer is durable", "pending_records", b.pending_records,
              "pending_bytes", b.pending_bytes);
  }
  return st;
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::Start(AgentConfig config, Env& env, Clock& clock) {
  auto a = std::make_unique<AgentImpl>(std::move(config), env, clock);
  Status st = a->Init();
  if (!st.ok()) {
    (void)a->Stop();
    return st;
  }
  return std::unique_ptr<Agent>(std::move(a));
}

}  // namespace strix::agents

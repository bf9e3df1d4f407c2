// Line-protocol and pattoo bodies for a Workload (see payload.h; remote write is in
// remote_write.cc). Text is appended with
// std::to_chars into one growing string per body; nothing here is on a timed path.
#include "bench/loadgen/payload.h"

#include <fmt/format.h>
#include <zlib.h>

#include <charconv>
#include <unordered_map>

#include "bench/loadgen/remote_write.h"
#include "bench/loadgen/sha256.h"

namespace strix::bench {
namespace {

template <typename T>
void AppendInt(T v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

// Timestamp of a row in the line protocol's unit.
int64_t LineTimestamp(int64_t ms, TimePrecision p) {
  switch (p) {
    case TimePrecision::kSeconds:
      return ms / 1000;
    case TimePrecision::kMilliseconds:
      return ms;
    case TimePrecision::kNanoseconds:
      return ms * 1'000'000;
  }
  return ms;
}

bool IsPlainName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Builds one pattoo post. Pairs are numbered in first-seen order and de-duplicated, as
// pattoo-shared's converter does: the caller keeps the id of each pair that can repeat in
// a slot (per post: the agent fields and the timestamp; per host: the target; per metric:
// the key; per data type: the type), values are de-duplicated through a map, and checksums
// are unique (one per series, and a post holds each series once). key_value_pairs and
// datapoint_pairs are written as the datapoints are added.
class PattooPostBuilder {
 public:
  void Reset() {
    kvp_.clear();
    dps_.clear();
    values_.clear();
    next_id_ = 0;
    datapoints_ = 0;
  }
  // A new pair given as its JSON text (`["key", value]`); returns its id.
  int NewPair(std::string_view text) {
    if (next_id_ > 0) kvp_.append(", ");
    kvp_.push_back('"');
    AppendInt(next_id_, &kvp_);
    kvp_.append("\": ");
    kvp_.append(text);
    return next_id_++;
  }
  // The id kept in *slot, or a new pair whose id is kept there.
  int Slot(int* slot, std::string_view text) {
    if (*slot < 0) *slot = NewPair(text);
    return *slot;
  }
  int Value(const std::string& text) {
    auto [it, inserted] = values_.try_emplace(text, next_id_);
    if (inserted) NewPair(text);
    return it->second;
  }
  void AddDatapoint(const std::array<int, 10>& ids) {
    if (datapoints_++ > 0) dps_.append(", ");
    dps_.push_back('[');
    for (size_t j = 0; j < ids.size(); ++j) {
      if (j > 0) dps_.append(", ");
      AppendInt(ids[j], &dps_);
    }
    dps_.push_back(']');
  }
  uint64_t datapoints() const { return datapoints_; }

  void Write(std::string_view agent_id, int64_t timestamp_ms, int64_t interval_ms,
             std::string* out) const {
    out->reserve(kvp_.size() + dps_.size() + 256);
    out->append("{\"pattoo_agent_timestamp\": ");
    AppendInt(timestamp_ms, out);
    out->append(", \"pattoo_agent_id\": \"");
    out->append(agent_id);
    out->append("\", \"pattoo_agent_polling_interval\": ");
    AppendInt(interval_ms, out);
    out->append(", \"pattoo_datapoints\": {\"key_value_pairs\": {");
    out->append(kvp_);
    out->append("}, \"datapoint_pairs\": [");
    out->append(dps_);
    out->append("]}}");
  }

 private:
  std::string kvp_;                              // the members of key_value_pairs so far
  std::string dps_;                              // the elements of datapoint_pairs so far
  std::unordered_map<std::string, int> values_;  // pattoo_value pair text -> id
  int next_id_ = 0;
  uint64_t datapoints_ = 0;
};

std::string StringPair(std::string_view key, std::string_view value) {
  return fmt::format("[\"{}\", \"{}\"]", key, value);
}

std::string ValueJson(const SampleValue& v) {
  std::string s;
  if (v.type == ValueType::kFixed2) {
    AppendFixed2Python(v.i, &s);  // pattoo's agents are Python: 5.0, not 5
  } else {
    AppendValueText(v, &s);
  }
  return s;
}

Status FinishPayload(const PayloadOptions& options, Payload* p) {
  p->raw_bytes = p->body.size();
  if (options.gzip) {
    STRIX_ASSIGN_OR_RETURN(p->body, Gzip(p->body));
  }
  return Status::Ok();
}

Result<std::vector<Payload>> BuildLineProtocol(const Workload& w, const PayloadOptions& options) {
  std::vector<Payload> out;
  out.reserve(static_cast<size_t>((w.rows() + options.batch_lines - 1) / options.batch_lines));
  Workload::RowCursor rows = w.Rows();
  Row row;
  Payload cur;
  while (rows.Next(&row)) {
    AppendLineProtocol(row, options, &cur.body);
    ++cur.lines;
    cur.samples += kMetricsPerHost;
    if (cur.lines == static_cast<uint64_t>(options.batch_lines)) {
      STRIX_RETURN_IF_ERROR(FinishPayload(options, &cur));
      out.push_back(std::move(cur));
      cur = Payload();
    }
  }
  if (cur.lines > 0) {
    STRIX_RETURN_IF_ERROR(FinishPayload(options, &cur));
    out.push_back(std::move(cur));
  }
  return out;
}

Result<std::vector<Payload>> BuildPattoo(const Workload& w, const PayloadOptions& options) {
  const int hosts = w.hosts();
  const int per_agent = options.pattoo_targets;
  const int agents = (hosts + per_agent - 1) / per_agent;
  const int64_t interval_ms = w.options().interval_ms;

  // Pair texts that do not change over time, built once.
  std::vector<std::string> agent_ids, agent_hostname_pairs, agent_id_pairs;
  for (int k = 0; k < agents; ++k) {
    agent_ids.push_back(PattooAgentId(w.options().seed, k));
    agent_hostname_pairs.push_back(StringPair("pattoo_agent_hostname", PattooAgentHostname(k)));
    agent_id_pairs.push_back(StringPair("pattoo_agent_id", agent_ids.back()));
  }
  const std::string interval_pair =
      StringPair("pattoo_agent_polling_interval", std::to_string(interval_ms));
  const std::string program_pair = StringPair("pattoo_agent_program", options.pattoo_program);
  std::array<std::string, kMetricsPerHost> key_pairs, type_pairs;
  for (size_t m = 0; m < kHostMetrics.size(); ++m) {
    key_pairs[m] = StringPair("pattoo_key", kHostMetrics[m].name);
    type_pairs[m] = fmt::format("[\"pattoo_data_type\", {}]", PattooDataType(kHostMetrics[m]));
  }
  // Identity checksums: one per series.
  std::vector<std::string> checksum_pairs;
  checksum_pairs.reserve(static_cast<size_t>(w.series()));
  for (int h = 0; h < hosts; ++h) {
    const int k = h / per_agent;
    const std::vector<std::pair<std::string, std::string>> meta = {
        {"pattoo_agent_hostname", PattooAgentHostname(k)},
        {"pattoo_agent_id", agent_ids[static_cast<size_t>(k)]},
        {"pattoo_agent_polled_target", Workload::HostName(h)},
        {"pattoo_agent_program", options.pattoo_program}};
    for (const MetricSpec& m : kHostMetrics) {
      checksum_pairs.push_back(
          StringPair("pattoo_checksum", PattooChecksum(m.name, PattooDataType(m), meta)));
    }
  }

  std::vector<Payload> out;
  out.reserve(static_cast<size_t>(w.points() * agents));
  PattooPostBuilder post;
  // Ids of the pairs that repeat within a post (-1: not in this post yet).
  int interval_id = -1, hostname_id = -1, agent_id_id = -1, program_id = -1, timestamp_id = -1;
  std::array<int, kMetricsPerHost> key_ids, type_ids;
  std::string timestamp_pair, value_pair;
  Workload::RowCursor rows = w.Rows();
  Row row;
  int64_t post_ts = 0;
  int post_agent = -1;

  auto flush = [&]() -> Status {
    if (post_agent < 0) return Status::Ok();
    Payload p;
    p.agent_id = agent_ids[static_cast<size_t>(post_agent)];
    p.lines = post.datapoints();
    p.samples = post.datapoints();
    post.Write(p.agent_id, post_ts, interval_ms, &p.body);
    STRIX_RETURN_IF_ERROR(FinishPayload(options, &p));
    out.push_back(std::move(p));
    post_agent = -1;
    return Status::Ok();
  };

  while (rows.Next(&row)) {
    const int k = row.host / per_agent;
    if (k != post_agent || row.timestamp_ms != post_ts) {
      STRIX_RETURN_IF_ERROR(flush());
      post.Reset();
      post_agent = k;
      post_ts = row.timestamp_ms;
      interval_id = hostname_id = agent_id_id = program_id = timestamp_id = -1;
      key_ids.fill(-1);
      type_ids.fill(-1);
      timestamp_pair = fmt::format("[\"pattoo_timestamp\", {}]", row.timestamp_ms);
    }
    int target_id = -1;
    const std::string target_pair =
        StringPair("pattoo_agent_polled_target", Workload::HostName(row.host));
    for (size_t m = 0; m < kHostMetrics.size(); ++m) {
      value_pair = "[\"pattoo_value\", ";
      value_pair += ValueJson(row.values[m]);
      value_pair += ']';
      // PattooShared's pair order within a datapoint (pattoo.md §1.3); the ids are
      // assigned in this order, so the numbering is first-seen as in Python.
      std::array<int, 10> ids;
      ids[0] = post.Slot(&interval_id, interval_pair);
      ids[1] = post.Slot(&hostname_id, agent_hostname_pairs[static_cast<size_t>(k)]);
      ids[2] = post.Slot(&agent_id_id, agent_id_pairs[static_cast<size_t>(k)]);
      ids[3] = post.Slot(&target_id, target_pair);
      ids[4] = post.Slot(&program_id, program_pair);
      ids[5] = post.Slot(&key_ids[m], key_pairs[m]);
      // Metrics of one data type share one pair: key the slot by the type's first metric.
      size_t type_slot = m;
      for (size_t j = 0; j < m; ++j) {
        if (type_pairs[j] == type_pairs[m]) {
          type_slot = j;
          break;
        }
      }
      ids[6] = post.Slot(&type_ids[type_slot], type_pairs[m]);
      ids[7] = post.Value(value_pair);
      ids[8] = post.Slot(&timestamp_id, timestamp_pair);
      ids[9] = post.NewPair(checksum_pairs[static_cast<size_t>(row.host) * kMetricsPerHost + m]);
      post.AddDatapoint(ids);
    }
  }
  STRIX_RETURN_IF_ERROR(flush());
  return out;
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "lp" || name == "line-protocol" || name == "influx") return Format::kLineProtocol;
  if (name == "pattoo") return Format::kPattoo;
  if (name == "remote-write" || name == "prw") return Format::kRemoteWrite;
  return Status::InvalidArgument(fmt::format(
      "unknown format \"{}\": expected lp (line-protocol), pattoo or remote-write", name));
}

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kLineProtocol:
      return "line-protocol";
    case Format::kPattoo:
      return "pattoo";
    case Format::kRemoteWrite:
      return "remote-write";
  }
  return "?";
}

std::string_view CompressionName(const PayloadOptions& options) {
  if (options.format == Format::kRemoteWrite) return kRemoteWriteContentEncoding;
  return options.gzip ? "gzip" : "none";
}

Result<TimePrecision> ParseTimePrecision(std::string_view name) {
  if (name == "s") return TimePrecision::kSeconds;
  if (name == "ms") return TimePrecision::kMilliseconds;
  if (name == "ns") return TimePrecision::kNanoseconds;
  return Status::InvalidArgument(
      fmt::format("unknown precision \"{}\": expected s, ms or ns", name));
}

std::string_view TimePrecisionName(TimePrecision p) {
  switch (p) {
    case TimePrecision::kSeconds:
      return "s";
    case TimePrecision::kMilliseconds:
      return "ms";
    case TimePrecision::kNanoseconds:
      return "ns";
  }
  return "?";
}

int PattooDataType(const MetricSpec& m) {
  switch (m.shape) {
    case MetricShape::kRandomWalk:
    case MetricShape::kSpiky:
      return kPattooFloat;
    case MetricShape::kCounter:
      return kPattooCounter64;
    case MetricShape::kByteGauge:
    case MetricShape::kConstant:
      return kPattooInt;
  }
  return kPattooInt;
}

Status PayloadOptions::Validate() const {
  if (batch_lines < 1) return Status::InvalidArgument("payload: batch lines must be at least 1");
  if (pattoo_targets < 1)
    return Status::InvalidArgument("payload: pattoo targets per post must be at least 1");
  if (!IsPlainName(measurement))
    return Status::InvalidArgument("payload: the measurement must match [A-Za-z0-9_]+",
                                   measurement);
  if (format == Format::kRemoteWrite && measurement[0] >= '0' && measurement[0] <= '9')
    return Status::InvalidArgument(
        "payload: a Prometheus series name cannot start with a digit (--measurement)", measurement);
  if (gzip && format == Format::kRemoteWrite)
    return Status::InvalidArgument(
        "payload: remote write bodies are snappy-compressed; --gzip does not apply");
  if (!IsPlainName(pattoo_program))
    return Status::InvalidArgument("payload: the pattoo program must match [A-Za-z0-9_]+",
                                   pattoo_program);
  return Status::Ok();
}

PayloadTotals Totals(const std::vector<Payload>& payloads) {
  PayloadTotals t;
  for (const Payload& p : payloads) {
    ++t.payloads;
    t.samples += p.samples;
    t.lines += p.lines;
    t.raw_bytes += p.raw_bytes;
    t.body_bytes += p.body.size();
  }
  return t;
}

Result<std::vector<Payload>> BuildPayloads(const Workload& workload,
                                           const PayloadOptions& options) {
  STRIX_RETURN_IF_ERROR(options.Validate());
  if (options.format == Format::kPattoo) return BuildPattoo(workload, options);
  if (options.format == Format::kRemoteWrite) return BuildRemoteWritePayloads(workload, options);
  if (options.precision == TimePrecision::kSeconds &&
      (workload.options().start_ms % 1000 != 0 || workload.options().interval_ms % 1000 != 0)) {
    return Status::InvalidArgument(
        "payload: precision s needs a start and an interval in whole seconds");
  }
  return BuildLineProtocol(workload, options);
}

void AppendFixed2Shortest(int64_t hundredths, std::string* out) {
  uint64_t mag =
      hundredths < 0 ? 0 - static_cast<uint64_t>(hundredths) : static_cast<uint64_t>(hundredths);
  if (hundredths < 0) out->push_back('-');
  AppendInt(mag / 100, out);
  const uint64_t frac = mag % 100;
  if (frac == 0) return;
  out->push_back('.');
  out->push_back(static_cast<char>('0' + frac / 10));
  if (frac % 10 != 0) out->push_back(static_cast<char>('0' + frac % 10));
}

void AppendValueText(const SampleValue& v, std::string* out) {
  switch (v.type) {
    case ValueType::kFixed2:
      AppendFixed2Shortest(v.i, out);
      break;
    case ValueType::kInt:
      AppendInt(v.i, out);
      break;
    case ValueType::kUnsigned:
      AppendInt(v.u, out);
      break;
  }
}

std::string ValueText(const SampleValue& v) {
  std::string s;
  AppendValueText(v, &s);
  return s;
}

void AppendFixed2Python(int64_t hundredths, std::string* out) {
  AppendFixed2Shortest(hundredths, out);
  if (hundredths % 100 == 0) out->append(".0");
}

void AppendLineProtocol(const Row& row, const PayloadOptions& options, std::string* out) {
  out->append(options.measurement);
  out->append(",host=");
  out->append(Workload::HostName(row.host));
  for (int m = 0; m < kMetricsPerHost; ++m) {
    const MetricSpec& spec = kHostMetrics[static_cast<size_t>(m)];
    const SampleValue& v = row.values[static_cast<size_t>(m)];
    out->push_back(m == 0 ? ' ' : ',');
    out->append(spec.name);
    out->push_back('=');
    AppendValueText(v, out);
    if (v.type == ValueType::kInt) out->push_back('i');
    if (v.type == ValueType::kUnsigned) out->push_back(options.int_counters ? 'i' : 'u');
  }
  out->push_back(' ');
  AppendInt(LineTimestamp(row.timestamp_ms, options.precision), out);
  out->push_back('\n');
}

std::string PattooAgentId(uint64_t seed, int agent) {
  return Sha256Hex(fmt::format("strix-loadgen seed={} agent={}", seed, agent));
}

std::string PattooAgentHostname(int agent) { return fmt::format("loadgen-agent-{:05d}", agent); }

std::string PattooChecksum(std::string_view key, int data_type,
                           const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string c = Sha256Hex(fmt::format("{}{}", key, data_type));
  for (const auto& [k, v] : metadata) c = Sha256Hex(c + k + v);
  return c;
}

Result<std::string> Gzip(std::string_view data) {
  if (data.size() > 0xffffffffu) return Status::InvalidArgument("gzip: body larger than 4 GiB");
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::Internal("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("gzip: deflate did not finish");
  out.resize(n);
  return out;
}

}  // namespace strix::bench

// Prometheus remote write bodies (see remote_write.h). Each message is written with its
// length computed first, so a body is one pass over its series with no nested buffers:
// the size of a TimeSeries follows from its labels' and samples' sizes, which follow from
// their fields (only the samples of the series at hand are gathered first). Nothing here
// is on a timed path.
#include "bench/loadgen/remote_write.h"

#include <fmt/format.h>
#include <snappy.h>

#include <algorithm>
#include <bit>
#include <numeric>

#include "core/check.h"
#include "core/coding.h"

namespace strix::bench {
namespace {

// Tags: (field number << 3) | wire type; wire types 0 varint, 1 fixed64, 2 length-delimited.
constexpr char kTagWriteRequestTimeseries = 0x0a;  // 1, length-delimited
constexpr char kTagTimeSeriesLabels = 0x0a;        // 1, length-delimited
constexpr char kTagTimeSeriesSamples = 0x12;       // 2, length-delimited
constexpr char kTagLabelName = 0x0a;               // 1, length-delimited
constexpr char kTagLabelValue = 0x12;              // 2, length-delimited
constexpr char kTagSampleValue = 0x09;             // 1, fixed64 (double)
constexpr char kTagSampleTimestamp = 0x10;         // 2, varint (int64)

// Protobuf varints are core's base-128 varints (least significant group first).
size_t VarintSize(uint64_t v) { return static_cast<size_t>(VarintLength(v)); }
void AppendVarint(uint64_t v, std::string* out) { PutVarint64(out, v); }

size_t LabelSize(const PromLabel& l) {
  return 1 + VarintSize(l.name.size()) + l.name.size() + 1 + VarintSize(l.value.size()) +
         l.value.size();
}

size_t SampleSize(const PromSample& s) {
  return 1 + 8 + 1 + VarintSize(static_cast<uint64_t>(s.timestamp_ms));
}

void AppendDouble(double v, std::string* out) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) {
    out->push_back(static_cast<char>(bits & 0xff));
    bits >>= 8;
  }
}

void AppendString(char tag, std::string_view s, std::string* out) {
  out->push_back(tag);
  AppendVarint(s.size(), out);
  out->append(s);
}

// Appends the WriteRequest of one batch of rows. The rows are grouped by host, keeping
// their (time) order within a host; each of a host's metrics becomes one TimeSeries.
void AppendBatch(const std::vector<Row>& rows, const std::vector<std::string>& names,
                 std::string* out) {
  std::vector<uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return rows[a].host < rows[b].host; });
  std::vector<PromSample> samples;
  for (size_t begin = 0; begin < order.size();) {
    const int host = rows[order[begin]].host;
    size_t end = begin;
    while (end < order.size() && rows[order[end]].host == host) ++end;
    const std::string host_name = Workload::HostName(host);
    for (size_t m = 0; m < kHostMetrics.size(); ++m) {
      samples.clear();
      for (size_t k = begin; k < end; ++k) {
        const Row& r = rows[order[k]];
        samples.push_back({r.values[m].ToDouble(), r.timestamp_ms});
      }
      // Sorted by name: "__name__" < "host" ('_' is 0x5f, 'h' 0x68).
      const PromLabel labels[2] = {{"__name__", names[m]}, {"host", host_name}};
      AppendTimeSeries(labels, samples, out);
    }
    begin = end;
  }
}

}  // namespace

void AppendTimeSeries(std::span<const PromLabel> labels, std::span<const PromSample> samples,
                      std::string* out) {
  size_t size = 0;
  for (const PromLabel& l : labels) {
    const size_t n = LabelSize(l);
    size += 1 + VarintSize(n) + n;
  }
  for (const PromSample& s : samples) {
    const size_t n = SampleSize(s);
    size += 1 + VarintSize(n) + n;
  }
  out->push_back(kTagWriteRequestTimeseries);
  AppendVarint(size, out);
  const size_t start = out->size();
  for (const PromLabel& l : labels) {
    out->push_back(kTagTimeSeriesLabels);
    AppendVarint(LabelSize(l), out);
    AppendString(kTagLabelName, l.name, out);
    AppendString(kTagLabelValue, l.value, out);
  }
  for (const PromSample& s : samples) {
    out->push_back(kTagTimeSeriesSamples);
    AppendVarint(SampleSize(s), out);
    out->push_back(kTagSampleValue);
    AppendDouble(s.value, out);
    out->push_back(kTagSampleTimestamp);
    AppendVarint(static_cast<uint64_t>(s.timestamp_ms), out);
  }
  STRIX_CHECK(out->size() - start == size);
}

std::string PromSeriesName(std::string_view measurement, std::string_view metric) {
  return fmt::format("{}_{}", measurement, metric);
}

Result<std::string> SnappyCompress(std::string_view data) {
  if (data.size() > 0xffffffffu) return Status::InvalidArgument("snappy: body larger than 4 GiB");
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

Result<std::string> SnappyUncompress(std::string_view data) {
  std::string out;
  if (!snappy::Uncompress(data.data(), data.size(), &out))
    return Status::InvalidArgument("snappy: not a valid compressed block");
  return out;
}

Result<std::vector<Payload>> BuildRemoteWritePayloads(const Workload& w,
                                                      const PayloadOptions& options) {
  if (options.format != Format::kRemoteWrite)
    return Status::InvalidArgument("remote write: the payload format is not remote-write");
  STRIX_RETURN_IF_ERROR(options.Validate());
  std::vector<std::string> names;
  for (const MetricSpec& m : kHostMetrics)
    names.push_back(PromSeriesName(options.measurement, m.name));

  const auto batch = static_cast<uint64_t>(options.batch_lines);
  std::vector<Payload> out;
  out.reserve(static_cast<size_t>((w.rows() + batch - 1) / batch));
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(std::min<uint64_t>(batch, w.rows())));
  std::string proto;
  auto flush = [&]() -> Status {
    proto.clear();
    AppendBatch(rows, names, &proto);
    Payload p;
    p.lines = rows.size();
    p.samples = rows.size() * kMetricsPerHost;
    p.raw_bytes = proto.size();
    STRIX_ASSIGN_OR_RETURN(p.body, SnappyCompress(proto));
    out.push_back(std::move(p));
    rows.clear();
    return Status::Ok();
  };
  Workload::RowCursor cursor = w.Rows();
  Row row;
  while (cursor.Next(&row)) {
    rows.push_back(row);
    if (rows.size() == batch) STRIX_RETURN_IF_ERROR(flush());
  }
  if (!rows.empty()) STRIX_RETURN_IF_ERROR(flush());
  return out;
}

}  // namespace strix::bench

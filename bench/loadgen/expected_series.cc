// Expected samples of one series (see expected_series.h): a SeriesGenerator run over the
// workload's points, with the line protocol's text of every value.
#include "bench/loadgen/expected_series.h"

#include <fmt/format.h>

#include <charconv>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/remote_write.h"

namespace strix::bench {

int MetricIndex(std::string_view name) {
  for (size_t m = 0; m < kHostMetrics.size(); ++m) {
    if (kHostMetrics[m].name == name) return static_cast<int>(m);
  }
  return -1;
}

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kFixed2:
      return "fixed2";
    case ValueType::kInt:
      return "int";
    case ValueType::kUnsigned:
      return "unsigned";
  }
  return "?";
}

Status ParseSeriesRefs(std::string_view text, std::vector<SeriesRef>* refs) {
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos)
      return Status::InvalidArgument(
          fmt::format("series \"{}\": expected HOST_INDEX:METRIC, e.g. 7:cpu_user", item));
    const std::string_view host = item.substr(0, colon), metric = item.substr(colon + 1);
    SeriesRef ref;
    auto [p, ec] = std::from_chars(host.data(), host.data() + host.size(), ref.host);
    if (host.empty() || ec != std::errc() || p != host.data() + host.size() || ref.host < 0)
      return Status::InvalidArgument(
          fmt::format("series \"{}\": the host index must be an integer from 0", item));
    ref.metric = MetricIndex(metric);
    if (ref.metric < 0) {
      std::string names;
      for (const MetricSpec& m : kHostMetrics) names += fmt::format(" {}", m.name);
      return Status::InvalidArgument(fmt::format(
          "series \"{}\": unknown metric \"{}\"; the metrics are{}", item, metric, names));
    }
    refs->push_back(ref);
    if (comma == std::string_view::npos) return Status::Ok();
    pos = comma + 1;
  }
}

Result<ExpectedSeries> ExpectSeries(const Workload& w, const SeriesRef& ref,
                                    std::string_view measurement) {
  if (ref.host < 0 || ref.host >= w.hosts())
    return Status::InvalidArgument(fmt::format("series {}:{}: the workload has hosts 0 to {}",
                                               ref.host, ref.metric, w.hosts() - 1));
  if (ref.metric < 0 || ref.metric >= kMetricsPerHost)
    return Status::InvalidArgument(
        fmt::format("series {}:{}: no such metric", ref.host, ref.metric));
  const MetricSpec& spec = kHostMetrics[static_cast<size_t>(ref.metric)];
  ExpectedSeries s;
  s.host = Workload::HostName(ref.host);
  s.metric = std::string(spec.name);
  s.name = PromSeriesName(measurement, spec.name);
  s.type = spec.type;
  SeriesGenerator gen(w.options().seed, ref.host, ref.metric);
  const auto n = static_cast<size_t>(w.points());
  s.timestamps_ms.reserve(n);
  s.values.reserve(n);
  s.texts.reserve(n);
  for (int64_t k = 0; k < w.points(); ++k) {
    s.timestamps_ms.push_back(w.TimestampMs(k));
    s.values.push_back(gen.Next());
    s.texts.push_back(ValueText(s.values.back()));
  }
  return s;
}

std::string ExpectedSeriesJson(const ExpectedSeries& s) {
  // Every string here is a host name, a metric name or a plain series name: no escaping.
  std::string out =
      fmt::format(R"({{"host":"{}","metric":"{}","name":"{}","type":"{}","timestamps_ms":[)",
                  s.host, s.metric, s.name, ValueTypeName(s.type));
  for (size_t i = 0; i < s.timestamps_ms.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += fmt::format("{}", s.timestamps_ms[i]);
  }
  out += R"(],"values":[)";
  for (size_t i = 0; i < s.texts.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += s.texts[i];
  }
  out += "]}\n";
  return out;
}

}  // namespace strix::bench

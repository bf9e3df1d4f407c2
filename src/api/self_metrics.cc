// SelfMetrics: see self_metrics.h.
#include "api/self_metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace strix::api {
namespace {

void AppendEscapedLabelValue(std::string* out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendLabels(std::string* out, const std::vector<std::pair<std::string, std::string>>& labels,
                  const char* extra_name = nullptr, const std::string& extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(k);
    out->append("=\"");
    AppendEscapedLabelValue(out, v);
    out->push_back('"');
  }
  if (extra_name != nullptr) {
    if (!first) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

const char* TypeName(MetricFamily::Type t) {
  switch (t) {
    case MetricFamily::Type::kCounter:
      return "counter";
    case MetricFamily::Type::kGauge:
      return "gauge";
    case MetricFamily::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Counter* SelfMetrics::RegisterCounter(std::string name, std::string help,
                                      std::vector<std::pair<std::string, std::string>> labels) {
  MutexLock l(&mu_);
  counters_.push_back(
      {std::move(name), std::move(help), std::move(labels), std::make_unique<Counter>()});
  return counters_.back().counter.get();
}

void SelfMetrics::RegisterCollector(Collector c) {
  MutexLock l(&mu_);
  collectors_.push_back(std::move(c));
}

std::vector<MetricFamily> SelfMetrics::Collect() const {
  std::vector<MetricFamily> out;
  std::vector<Collector> collectors;
  {
    MutexLock l(&mu_);
    // Counters of one name (differing labels) form one family.
    std::map<std::string, size_t> index;
    for (const OwnedCounter& c : counters_) {
      auto [it, inserted] = index.emplace(c.name, out.size());
      if (inserted) {
        MetricFamily f;
        f.name = c.name;
        f.help = c.help;
        f.type = MetricFamily::Type::kCounter;
        out.push_back(std::move(f));
      }
      MetricFamily::Sample s;
      s.labels = c.labels;
      s.count = c.counter->value();
      s.value = static_cast<double>(s.count);
      out[it->second].samples.push_back(std::move(s));
    }
    collectors = collectors_;
  }
  for (const Collector& c : collectors) c(&out);
  return out;
}

std::string SelfMetrics::Render() const {
  std::string out;
  for (const MetricFamily& f : Collect()) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name,
                   TypeName(f.type));
    for (const MetricFamily::Sample& s : f.samples) {
      out.append(f.name);
      AppendLabels(&out, s.labels);
      if (f.type == MetricFamily::Type::kCounter) {
        fmt::format_to(std::back_inserter(out), " {}\n", s.count);
      } else {
        fmt::format_to(std::back_inserter(out), " {}\n", FormatDouble(s.value));
      }
    }
    for (const MetricFamily::Histogram& h : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const std::string le = i < h.bounds.size() ? FormatDouble(h.bounds[i]) : "+Inf";
        out.append(f.name).append("_bucket");
        AppendLabels(&out, h.labels, "le", le);
        fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
      }
      out.append(f.name).append("_sum");
      AppendLabels(&out, h.labels);
      fmt::format_to(std::back_inserter(out), " {}\n", FormatDouble(h.sum));
      out.append(f.name).append("_count");
      AppendLabels(&out, h.labels);
      fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
    }
  }
  return out;
}

void SelfMetrics::AppendTo(storage::WriteBatch* batch, storage::Timestamp ts,
                           const std::string& host) const {
  std::vector<storage::LabelPair> labels;
  std::string name;
  auto start = [&](storage::ValueKind kind, const std::string& metric,
                   const std::vector<std::pair<std::string, std::string>>& extra,
                   const char* le_name, const std::string& le) {
    name = metric;
    labels.clear();
    labels.emplace_back("__name__", name);
    labels.emplace_back("host", host);
    for (const auto& [k, v] : extra) labels.emplace_back(k, v);
    if (le_name != nullptr) labels.emplace_back(le_name, le);
    batch->StartSeries(kind, labels);
  };
  for (const MetricFamily& f : Collect()) {
    for (const MetricFamily::Sample& s : f.samples) {
      if (f.type == MetricFamily::Type::kCounter) {
        start(storage::ValueKind::kCounter64, f.name, s.labels, nullptr, {});
        batch->AddCounter(ts, s.count);
      } else {
        start(storage::ValueKind::kGauge, f.name, s.labels, nullptr, {});
        batch->AddGauge(ts, s.value);
      }
    }
    for (const MetricFamily::Histogram& h : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const std::string le = i < h.bounds.size() ? FormatDouble(h.bounds[i]) : "+Inf";
        start(storage::ValueKind::kCounter64, f.name + "_bucket", h.labels, "le", le);
        batch->AddCounter(ts, cumulative);
      }
      start(storage::ValueKind::kGauge, f.name + "_sum", h.labels, nullptr, {});
      batch->AddGauge(ts, h.sum);
      start(storage::ValueKind::kCounter64, f.name + "_count", h.labels, nullptr, {});
      batch->AddCounter(ts, cumulative);
    }
  }
}

}  // namespace strix::api

// The load generator's payloads read by Strix's own ingest parsers (written independently,
// in src/ingest/): every line-protocol line and every pattoo datapoint is accepted, with
// exactly the workload's number of samples and no rejection, so that a load test of
// strixd measures ingest and not error handling. Also checks the value kinds strixd will
// store: counters as exact counter64, byte gauges as integers (line protocol), two-decimal
// values as floats.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/workload.h"
#include "ingest/line_protocol/line_protocol.h"
#include "ingest/pattoo/pattoo.h"
#include "storage/write_batch.h"

namespace strix::bench {
namespace {

Workload Make(int hosts, int64_t span_ms) {
  WorkloadOptions o;
  o.hosts = hosts;
  o.span_ms = span_ms;
  o.start_ms = 1'700'000'000'000;
  return *Workload::Create(o);
}

TEST(LoadgenIngestCompat, LineProtocolParsesWithoutRejections) {
  const Workload w = Make(50, 600'000);
  for (TimePrecision prec :
       {TimePrecision::kSeconds, TimePrecision::kMilliseconds, TimePrecision::kNanoseconds}) {
    PayloadOptions p;
    p.batch_lines = 700;
    p.precision = prec;
    const std::vector<Payload> payloads = BuildPayloads(w, p).value();
    ingest::ParseOptions po;
    po.precision = ingest::ParsePrecision(TimePrecisionName(prec)).value();
    ingest::LineProtocolParser parser(po);
    uint64_t samples = 0;
    for (const Payload& pl : payloads) {
      storage::WriteBatch batch;
      ingest::ParseStats stats;
      ASSERT_TRUE(parser.Parse(pl.body, 0, &batch, &stats).ok());
      EXPECT_EQ(stats.rejected_lines, 0u)
          << (stats.first_errors.empty() ? "" : stats.first_errors[0].ToString());
      EXPECT_EQ(stats.lines, pl.lines);
      EXPECT_EQ(stats.samples, pl.samples);
      samples += stats.samples;
    }
    EXPECT_EQ(samples, w.samples());
  }
}

TEST(LoadgenIngestCompat, PattooPostsParseWithoutRejections) {
  const Workload w = Make(30, 60'000);
  PayloadOptions p;
  p.format = Format::kPattoo;
  p.pattoo_targets = 7;
  const std::vector<Payload> payloads = BuildPayloads(w, p).value();
  ingest::PattooParser parser;
  uint64_t samples = 0;
  for (const Payload& pl : payloads) {
    storage::WriteBatch batch;
    ingest::PattooParseStats stats;
    Status st = parser.Parse(pl.body, pl.agent_id, &batch, &stats);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(stats.verdict, ingest::PattooVerdict::kAccepted);
    EXPECT_TRUE(stats.post_error.ok()) << stats.post_error.ToString();
    EXPECT_EQ(stats.rejected, 0u) << (stats.first_errors.empty()
                                          ? ""
                                          : stats.first_errors[0].ToString());
    EXPECT_EQ(stats.truncated_counters, 0u);
    EXPECT_EQ(stats.datapoints, pl.lines);
    EXPECT_EQ(stats.samples, pl.samples);
    samples += stats.samples;
  }
  EXPECT_EQ(samples, w.samples());
}

// The pattoo agent API routes the URL the sender builds and answers pattoo's 200 "OK".
TEST(LoadgenIngestCompat, PattooReceiveRouteAcceptsThePosts) {
  PayloadOptions p;
  p.format = Format::kPattoo;
  const std::vector<Payload> payloads = BuildPayloads(Make(3, 20'000), p).value();
  ingest::PattooAgentApi api;
  for (const Payload& pl : payloads) {
    storage::WriteBatch batch;
    ingest::PattooParseStats stats;
    const std::string target = "/pattoo/api/v1/agent/receive/" + pl.agent_id;
    ingest::PattooApiResponse r =
        api.Handle({"POST", target, "application/json", pl.body}, &batch, &stats);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "OK");
    EXPECT_TRUE(r.store_batch);
    EXPECT_EQ(stats.samples, pl.samples);
  }
}

// Each series' kind and value as strixd will store them, against the generator's values.
// Line protocol keeps integers exact (i: derive, u: counter64); pattoo INT and FLOAT are
// gauges and COUNTER64 is counter64 (docs/wire/pattoo.md).
void CheckValues(const storage::WriteBatch& batch, const Row& row, bool pattoo) {
  std::map<std::string, const storage::WriteBatch::Series*> by_name;
  for (const storage::WriteBatch::Series& s : batch.series()) {
    storage::EncodedLabelsIterator it(batch.EncodedLabels(s));
    std::string_view name, value;
    while (it.Next(&name, &value)) {
      if (name == "__name__") by_name[std::string(value)] = &s;
    }
  }
  ASSERT_EQ(by_name.size(), static_cast<size_t>(kMetricsPerHost));
  for (int m = 0; m < kMetricsPerHost; ++m) {
    const MetricSpec& spec = kHostMetrics[static_cast<size_t>(m)];
    const SampleValue& want = row.values[static_cast<size_t>(m)];
    // line protocol: node_<field>; pattoo: the pattoo_key.
    const std::string series =
        (pattoo ? std::string() : std::string("node_")) + std::string(spec.name);
    ASSERT_EQ(by_name.count(series), 1u) << series;
    const storage::WriteBatch::Series& s = *by_name[series];
    ASSERT_EQ(s.sample_count, 1u);
    const storage::WriteBatch::Sample& got = batch.samples(s)[0];
    EXPECT_EQ(got.ts, row.timestamp_ms) << series;
    if (spec.type == ValueType::kUnsigned) {
      EXPECT_EQ(s.kind, storage::ValueKind::kCounter64) << series;
      EXPECT_EQ(got.value.u, want.u) << series;
    } else if (spec.type == ValueType::kInt && !pattoo) {
      EXPECT_EQ(s.kind, storage::ValueKind::kDerive) << series;
      EXPECT_EQ(got.value.i, want.i) << series;
    } else {
      EXPECT_EQ(s.kind, storage::ValueKind::kGauge) << series;
      EXPECT_EQ(got.value.f, want.ToDouble()) << series;
    }
  }
}

TEST(LoadgenIngestCompat, ValuesAndKindsAsStrixdStoresThem) {
  const Workload w = Make(1, 10'000);
  Row row;
  ASSERT_TRUE(w.Rows().Next(&row));
  for (Format f : {Format::kLineProtocol, Format::kPattoo}) {
    PayloadOptions p;
    p.format = f;
    const std::vector<Payload> payloads = BuildPayloads(w, p).value();
    ASSERT_EQ(payloads.size(), 1u);
    storage::WriteBatch batch;
    if (f == Format::kLineProtocol) {
      ingest::ParseOptions po;
      po.precision = ingest::Precision::kSeconds;
      ingest::ParseStats stats;
      ASSERT_TRUE(ingest::LineProtocolParser(po).Parse(payloads[0].body, 0, &batch, &stats).ok());
    } else {
      ingest::PattooParseStats stats;
      ASSERT_TRUE(ingest::PattooParser()
                      .Parse(payloads[0].body, payloads[0].agent_id, &batch, &stats)
                      .ok());
    }
    CheckValues(batch, row, f == Format::kPattoo);
  }
}

}  // namespace
}  // namespace strix::bench

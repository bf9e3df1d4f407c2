// Remote write bodies read back by the test's own protobuf and snappy decoders
// (test_remote_write_decoder.h): varints and plain (not zigzag) int64 timestamps, doubles,
// field numbers, a golden TimeSeries, labels sorted by name, the line protocol's batching,
// every value, and snappy's block format both ways (the test decoder and libsnappy).
#include "bench/loadgen/remote_write.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bench/loadgen/test_remote_write_decoder.h"
#include "core/coding.h"

namespace strix::bench {
namespace {

using testing::DecodedSeries;
using testing::DecodeWriteRequest;
using testing::SnappyBlockDecode;

constexpr int64_t kStart = 1'700'000'000'000;

std::string Hex(std::string_view s) {
  std::string out;
  for (char c : s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    const auto u = static_cast<uint8_t>(c);
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 15]);
  }
  return out;
}

// The encoder writes varints with core's PutVarint64; protobuf must read them as its own.
std::string Varint(uint64_t v) {
  std::string s;
  PutVarint64(&s, v);
  EXPECT_EQ(s.size(), static_cast<size_t>(VarintLength(v))) << v;
  return s;
}

Workload Make(int hosts, int64_t span_ms) {
  WorkloadOptions o;
  o.hosts = hosts;
  o.start_ms = kStart;
  o.span_ms = span_ms;
  return Workload::Create(o).value();
}

std::vector<DecodedSeries> Decode(const Payload& p) {
  std::string raw, error;
  EXPECT_TRUE(SnappyBlockDecode(p.body, &raw, &error)) << error;
  EXPECT_EQ(raw.size(), p.raw_bytes);
  std::vector<DecodedSeries> series;
  EXPECT_TRUE(DecodeWriteRequest(raw, &series, &error)) << error;
  return series;
}

TEST(RemoteWriteProto, Varints) {
  EXPECT_EQ(Hex(Varint(0)), "00");
  EXPECT_EQ(Hex(Varint(1)), "01");
  EXPECT_EQ(Hex(Varint(127)), "7f");
  EXPECT_EQ(Hex(Varint(128)), "80 01");
  EXPECT_EQ(Hex(Varint(300)), "ac 02");
  EXPECT_EQ(Hex(Varint(1'700'000'000'000)), "80 d0 95 ff bc 31");
  EXPECT_EQ(Hex(Varint(~uint64_t{0})), "ff ff ff ff ff ff ff ff ff 01");
}

TEST(RemoteWriteProto, GoldenTimeSeries) {
  std::string out;
  const PromLabel labels[] = {{"n", "v"}};
  const PromSample samples[] = {{1.0, 1}};
  AppendTimeSeries(labels, samples, &out);
  // WriteRequest.timeseries (1, len 21) { labels (1, len 6) { name "n", value "v" },
  // samples (2, len 11) { value (1, fixed64 1.0), timestamp (2, varint 1) } }
  EXPECT_EQ(Hex(out), "0a 15 0a 06 0a 01 6e 12 01 76 12 0b 09 00 00 00 00 00 00 f0 3f 10 01");
}

TEST(RemoteWriteProto, TimestampsArePlainInt64AndDoublesExact) {
  std::string out;
  const PromLabel labels[] = {{"__name__", "node_requests"}, {"host", "host-00000"}};
  const PromSample samples[] = {{23.11, kStart},
                                {static_cast<double>((uint64_t{1} << 40) + 1), -1},
                                {-0.05, 0},
                                {1e300, std::numeric_limits<int64_t>::max()}};
  AppendTimeSeries(labels, samples, &out);
  // -1 is the ten-byte varint of 2^64-1 (zigzag would be the single byte 01).
  EXPECT_NE(out.find(std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11)),
            std::string::npos);
  std::vector<DecodedSeries> series;
  std::string error;
  ASSERT_TRUE(DecodeWriteRequest(out, &series, &error)) << error;
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].labels, (std::vector<std::pair<std::string, std::string>>{
                                  {"__name__", "node_requests"}, {"host", "host-00000"}}));
  ASSERT_EQ(series[0].samples.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(series[0].samples[i].first),
              std::bit_cast<uint64_t>(samples[i].value));
    EXPECT_EQ(series[0].samples[i].second, samples[i].timestamp_ms);
  }
  EXPECT_EQ(series[0].samples[1].first, 1099511627777.0);
}

TEST(RemoteWritePayload, SameBatchesAsLineProtocol) {
  const Workload w = Make(3, 60'000);  // 3 hosts x 6 points = 18 rows
  PayloadOptions lp;
  lp.batch_lines = 4;
  PayloadOptions rw = lp;
  rw.format = Format::kRemoteWrite;
  const std::vector<Payload> lines = BuildPayloads(w, lp).value();
  const std::vector<Payload> protos = BuildPayloads(w, rw).value();
  ASSERT_EQ(protos.size(), lines.size());
  ASSERT_EQ(protos.size(), 5u);
  for (size_t i = 0; i < protos.size(); ++i) {
    EXPECT_EQ(protos[i].lines, lines[i].lines) << i;
    EXPECT_EQ(protos[i].samples, lines[i].samples) << i;
    EXPECT_EQ(protos[i].agent_id, "");
    EXPECT_LT(protos[i].body.size(), protos[i].raw_bytes) << i;  // snappy saves something
  }
  EXPECT_EQ(Totals(protos).samples, w.samples());

  // Every body holds exactly the (host, timestamp) rows of its line-protocol twin.
  for (size_t i = 0; i < protos.size(); ++i) {
    std::set<std::pair<std::string, int64_t>> want, got;
    size_t pos = 0;
    const std::string& text = lines[i].body;
    while (pos < text.size()) {
      const size_t eol = text.find('\n', pos);
      const std::string line = text.substr(pos, eol - pos);
      const size_t comma = line.find(','), space = line.find(' '), last = line.rfind(' ');
      want.insert(
          {line.substr(comma + 6, space - comma - 6), std::stoll(line.substr(last + 1)) * 1000});
      pos = eol + 1;
    }
    uint64_t samples = 0;
    for (const DecodedSeries& s : Decode(protos[i])) {
      samples += s.samples.size();
      for (const auto& [v, ts] : s.samples) got.insert({s.labels.at(1).second, ts});
    }
    EXPECT_EQ(got, want) << i;
    EXPECT_EQ(samples, protos[i].samples) << i;
  }
}

TEST(RemoteWritePayload, SeriesLabelsAndValues) {
  const Workload w = Make(4, 100'000);  // 10 points
  PayloadOptions rw;
  rw.format = Format::kRemoteWrite;
  rw.batch_lines = 7;  // batches cut across points and hosts
  rw.measurement = "m1";
  const std::vector<Payload> protos = BuildPayloads(w, rw).value();
  // (host, metric) -> samples, in send order.
  std::map<std::pair<int, int>, std::vector<std::pair<double, int64_t>>> all;
  for (const Payload& p : protos) {
    for (const DecodedSeries& s : Decode(p)) {
      ASSERT_EQ(s.labels.size(), 2u);
      EXPECT_EQ(s.labels[0].first, "__name__");  // sorted by name
      EXPECT_EQ(s.labels[1].first, "host");
      ASSERT_TRUE(s.labels[0].second.starts_with("m1_")) << s.labels[0].second;
      int metric = -1;
      for (size_t m = 0; m < kHostMetrics.size(); ++m) {
        if (s.labels[0].second.substr(3) == kHostMetrics[m].name) metric = static_cast<int>(m);
      }
      ASSERT_GE(metric, 0) << s.labels[0].second;
      const int host = std::stoi(s.labels[1].second.substr(5));
      EXPECT_EQ(s.labels[1].second, Workload::HostName(host));
      ASSERT_FALSE(s.samples.empty());
      auto& v = all[{host, metric}];
      v.insert(v.end(), s.samples.begin(), s.samples.end());
    }
  }
  ASSERT_EQ(all.size(), w.series());
  for (const auto& [key, samples] : all) {
    SeriesGenerator gen(w.options().seed, key.first, key.second);
    ASSERT_EQ(samples.size(), static_cast<size_t>(w.points()));
    for (int64_t k = 0; k < w.points(); ++k) {
      const SampleValue want = gen.Next();
      EXPECT_EQ(samples[static_cast<size_t>(k)].second, w.TimestampMs(k));
      EXPECT_EQ(samples[static_cast<size_t>(k)].first, want.ToDouble());
      if (want.type == ValueType::kUnsigned) {  // counters are exact in a double
        EXPECT_EQ(static_cast<uint64_t>(samples[static_cast<size_t>(k)].first), want.u);
      }
    }
  }
}

TEST(RemoteWritePayload, OptionsThatDoNotApply) {
  const Workload w = Make(1, 10'000);
  PayloadOptions rw;
  rw.format = Format::kRemoteWrite;
  rw.gzip = true;
  Result<std::vector<Payload>> r = BuildPayloads(w, rw);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--gzip"), std::string_view::npos);
  rw.gzip = false;
  rw.measurement = "9node";
  EXPECT_FALSE(BuildPayloads(w, rw).ok());
  EXPECT_EQ(ParseFormat("remote-write").value(), Format::kRemoteWrite);
  EXPECT_EQ(ParseFormat("prw").value(), Format::kRemoteWrite);
  EXPECT_EQ(FormatName(Format::kRemoteWrite), "remote-write");
  EXPECT_EQ(CompressionName(rw), "snappy");
  rw.format = Format::kLineProtocol;
  EXPECT_EQ(CompressionName(rw), "none");
  rw.gzip = true;
  EXPECT_EQ(CompressionName(rw), "gzip");
}

TEST(RemoteWriteSnappy, RoundTripsThroughBothDecoders) {
  std::vector<std::string> inputs = {"", "a", std::string(100'000, 'x')};
  std::string mixed;
  uint64_t z = 1;
  for (int i = 0; i < 200'000; ++i) {
    z = z * 6364136223846793005ULL + 1442695040888963407ULL;
    mixed.push_back(static_cast<char>(i % 7 == 0 ? z >> 56 : 'a' + i % 13));  // 4-byte offsets too
  }
  inputs.push_back(mixed);
  for (const std::string& in : inputs) {
    const std::string c = SnappyCompress(in).value();
    std::string a, b, error;
    ASSERT_TRUE(SnappyBlockDecode(c, &a, &error)) << error;
    EXPECT_EQ(a, in);
    ASSERT_TRUE(snappy::Uncompress(c.data(), c.size(), &b));
    EXPECT_EQ(b, in);
    EXPECT_EQ(SnappyUncompress(c).value(), in);
  }
  EXPECT_LT(SnappyCompress(std::string(100'000, 'x')).value().size(), 6'000u);
  EXPECT_FALSE(SnappyUncompress("\xff\xff\xff\xff\xff garbage").ok());
}

}  // namespace
}  // namespace strix::bench

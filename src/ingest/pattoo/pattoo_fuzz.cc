// Fuzz target "pattoo": parses arbitrary bytes as a pattoo agent post, and routes them as
// the body of POST /pattoo/api/v1/agent/receive/<id>. It must never crash, read out of
// bounds or allocate without bound, and what it reports must agree with what it did:
//  * Parse() is OK exactly when the verdict is kAccepted, and adds nothing otherwise;
//  * samples == the batch's series == its samples, datapoints == samples + rejected, and
//    the kept errors are the first min(rejected, max_errors) in datapoint order;
//  * every series passes storage's own label validation, has a kind pattoo types map to,
//    a finite gauge value, and a state of at most kPattooMaxStateBytes;
//  * the same parser, warm, gives the same batch byte for byte;
//  * the agent API answers as the verdict says (200 + store_batch, 404 or 500).
// Seeds: testdata/fuzz/pattoo/ (the spec's payloads, variants of every rule, garbage).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "ingest/pattoo/pattoo.h"
#include "storage/labels.h"

namespace {

using namespace strix;           // NOLINT
using namespace strix::storage;  // NOLINT
using strix::ingest::PattooVerdict;

void CheckSameBatch(const WriteBatch& a, const WriteBatch& b) {
  STRIX_CHECK(a.series_count() == b.series_count() && a.sample_count() == b.sample_count());
  for (size_t i = 0; i < a.series_count(); ++i) {
    const auto& sa = a.series()[i];
    const auto& sb = b.series()[i];
    STRIX_CHECK(sa.kind == sb.kind && sa.tag == sb.tag);
    STRIX_CHECK(a.EncodedLabels(sa) == b.EncodedLabels(sb));
    auto xa = a.samples(sa);
    auto xb = b.samples(sb);
    STRIX_CHECK(xa.size() == xb.size());
    for (size_t k = 0; k < xa.size(); ++k) {
      STRIX_CHECK(xa[k].ts == xb[k].ts);
      if (sa.kind == ValueKind::kState) {
        STRIX_CHECK(a.StateOf(xa[k]) == b.StateOf(xb[k]));
      } else {
        STRIX_CHECK(xa[k].value.u == xb[k].value.u);
      }
    }
  }
}

void CheckBatch(const WriteBatch& batch, const ingest::PattooParseStats& stats, size_t max_errors) {
  STRIX_CHECK(stats.samples == batch.sample_count());
  STRIX_CHECK(stats.samples == batch.series_count());
  STRIX_CHECK(stats.datapoints == stats.samples + stats.rejected);
  STRIX_CHECK(stats.first_errors.size() == std::min<uint64_t>(stats.rejected, max_errors));
  for (size_t i = 1; i < stats.first_errors.size(); ++i) {
    STRIX_CHECK(stats.first_errors[i - 1].datapoint < stats.first_errors[i].datapoint);
  }
  for (const auto& e : stats.first_errors) {
    STRIX_CHECK(e.datapoint < stats.datapoints);
    STRIX_CHECK(!e.message.empty());
  }
  uint32_t prev_tag = 0;
  for (size_t i = 0; i < batch.series_count(); ++i) {
    const auto& s = batch.series()[i];
    STRIX_CHECK(i == 0 || s.tag > prev_tag);
    prev_tag = s.tag;
    STRIX_CHECK(s.tag < stats.datapoints);
    STRIX_CHECK(s.kind == ValueKind::kGauge || s.kind == ValueKind::kCounter32 ||
                s.kind == ValueKind::kCounter64 || s.kind == ValueKind::kState);
    auto labels = Labels::FromEncoded(batch.EncodedLabels(s));
    STRIX_CHECK(labels.ok());
    STRIX_CHECK_MSG(labels->ValidateSeries().ok(), labels->ValidateSeries().ToString().c_str());
    STRIX_CHECK(batch.samples(s).size() == 1);
    for (const auto& sample : batch.samples(s)) {
      if (s.kind == ValueKind::kGauge) STRIX_CHECK(std::isfinite(sample.value.f));
      if (s.kind == ValueKind::kState) {
        std::string_view state = batch.StateOf(sample);
        STRIX_CHECK(state.size() <= ingest::kPattooMaxStateBytes);
        STRIX_CHECK(IsValidUtf8(state));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);  // exact bounds for ASan

  ingest::PattooParseOptions options;
  options.max_errors = 3;
  ingest::PattooParser parser(options);
  WriteBatch batch;
  ingest::PattooParseStats stats;
  const Status s = parser.Parse(body, "agent", &batch, &stats);
  STRIX_CHECK(s.ok() == (stats.verdict == PattooVerdict::kAccepted));
  if (!s.ok()) {
    STRIX_CHECK(batch.empty() && batch.series_count() == 0);
    STRIX_CHECK(stats.datapoints == 0);
    STRIX_CHECK(!stats.post_error.ok());
  }
  if (!stats.post_error.ok()) STRIX_CHECK(stats.datapoints == 0 && batch.empty());
  CheckBatch(batch, stats, options.max_errors);

  // Warm parser, fresh batch: the same result.
  WriteBatch again;
  ingest::PattooParseStats stats2;
  STRIX_CHECK(parser.Parse(body, "agent", &again, &stats2).ok() == s.ok());
  STRIX_CHECK(stats2.verdict == stats.verdict && stats2.samples == stats.samples &&
              stats2.rejected == stats.rejected &&
              stats2.truncated_counters == stats.truncated_counters);
  CheckSameBatch(batch, again);

  // Through the agent API.
  ingest::PattooAgentApi api(options);
  WriteBatch via_api;
  ingest::PattooParseStats stats3;
  const ingest::PattooApiResponse r = api.Handle(
      {"POST", "/pattoo/api/v1/agent/receive/agent", "application/json", body}, &via_api, &stats3);
  STRIX_CHECK(stats3.verdict == stats.verdict);
  switch (stats.verdict) {
    case PattooVerdict::kAccepted:
      STRIX_CHECK(r.status == 200 && r.body == "OK" && r.store_batch);
      break;
    case PattooVerdict::kNotAnObject:
      STRIX_CHECK(r.status == 404 && !r.store_batch);
      break;
    default:
      STRIX_CHECK(r.status == 500 && !r.store_batch);
  }
  CheckSameBatch(batch, via_api);
  return 0;
}

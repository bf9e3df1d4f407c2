// Fuzz target "nakulos": parses arbitrary bytes as a Nakulos POST /metrics body. It must
// never crash, read out of bounds or allocate without bound, and what it reports must agree
// with what it did:
//  * an error adds nothing and leaves an empty result; OK fills the hostname;
//  * accepted == the batch's series == its samples, metrics == accepted + rejected, and
//    first_errors holds min(rejected, max_errors) non-empty messages;
//  * every series passes storage's own label validation, has the post's host, is a gauge
//    (finite) or a state (at most kNakulosMaxStateBytes, valid UTF-8), has a timestamp in
//    [0, kNakulosMaxTimestampMs] or now_ms, and tags increase;
//  * tags are within their limits and their keys distinct;
//  * the same parser, warm, gives the same batch byte for byte;
//  * the rejection body is valid JSON with the same counts.
// Seeds: testdata/fuzz/nakulos/ (the spec's payloads, variants of every rule, garbage).
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "ingest/nakulos/nakulos.h"
#include "storage/labels.h"

namespace {

using namespace strix;           // NOLINT
using namespace strix::storage;  // NOLINT

constexpr Timestamp kNow = 1'795'400'000'123;

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

void CheckResult(const WriteBatch& batch, const ingest::NakulosParseResult& r, size_t max_errors) {
  STRIX_CHECK(!r.hostname.empty() && IsValidUtf8(r.hostname));
  STRIX_CHECK(r.accepted == batch.sample_count() && r.accepted == batch.series_count());
  STRIX_CHECK(r.metrics == r.accepted + r.rejected);
  STRIX_CHECK(r.first_errors.size() == std::min<uint64_t>(r.rejected, max_errors));
  for (const std::string& e : r.first_errors) STRIX_CHECK(!e.empty());
  STRIX_CHECK(r.tags_present || r.tags.empty());
  STRIX_CHECK(r.tags.size() <= ingest::kNakulosMaxTags);
  for (size_t i = 0; i < r.tags.size(); ++i) {
    STRIX_CHECK(r.tags[i].first.size() <= ingest::kNakulosMaxTagBytes);
    STRIX_CHECK(r.tags[i].second.size() <= ingest::kNakulosMaxTagBytes);
    for (size_t j = 0; j < i; ++j) STRIX_CHECK(r.tags[j].first != r.tags[i].first);
  }
  for (size_t i = 0; i < batch.series_count(); ++i) {
    const auto& s = batch.series()[i];
    STRIX_CHECK(i == 0 || s.tag > batch.series()[i - 1].tag);
    STRIX_CHECK(s.tag < r.metrics);
    STRIX_CHECK(s.kind == ValueKind::kGauge || s.kind == ValueKind::kState);
    auto labels = Labels::FromEncoded(batch.EncodedLabels(s));
    STRIX_CHECK(labels.ok());
    STRIX_CHECK_MSG(labels->ValidateSeries().ok(), labels->ValidateSeries().ToString().c_str());
    STRIX_CHECK(labels->Get("host") == r.hostname);
    STRIX_CHECK(labels->size() == (labels->Has(ingest::kNakulosNameLabel) ? 3u : 2u));
    STRIX_CHECK(batch.samples(s).size() == 1);
    for (const auto& sample : batch.samples(s)) {
      STRIX_CHECK(sample.ts == kNow ||
                  (sample.ts >= 0 && sample.ts <= ingest::kNakulosMaxTimestampMs));
      if (s.kind == ValueKind::kGauge) STRIX_CHECK(std::isfinite(sample.value.f));
      if (s.kind == ValueKind::kState) {
        const std::string_view state = batch.StateOf(sample);
        STRIX_CHECK(state.size() <= ingest::kNakulosMaxStateBytes);
        STRIX_CHECK(IsValidUtf8(state));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);  // exact bounds for ASan

  ingest::NakulosParseOptions options;
  options.max_errors = 3;
  ingest::NakulosParser parser(options);
  WriteBatch batch;
  ingest::NakulosParseResult result;
  const Status s = parser.Parse(body, kNow, &batch, &result);
  if (!s.ok()) {
    STRIX_CHECK(s.code() == StatusCode::kInvalidArgument ||
                s.code() == StatusCode::kResourceExhausted);
    STRIX_CHECK(!s.message().empty());
    STRIX_CHECK(batch.empty() && batch.series_count() == 0);
    STRIX_CHECK(result.hostname.empty() && result.tags.empty() && !result.tags_present);
    STRIX_CHECK(result.metrics == 0 && result.first_errors.empty());
    return 0;
  }
  CheckResult(batch, result, options.max_errors);

  // Warm parser, fresh batch: the same result.
  WriteBatch again;
  ingest::NakulosParseResult result2;
  STRIX_CHECK(parser.Parse(body, kNow, &again, &result2).ok());
  STRIX_CHECK(result2.hostname == result.hostname && result2.tags == result.tags &&
              result2.tags_present == result.tags_present && result2.accepted == result.accepted &&
              result2.rejected == result.rejected && result2.first_errors == result.first_errors);
  CheckSameBatch(batch, again);

  // The rejection body is valid JSON, whatever the messages hold.
  const std::string answer = ingest::NakulosRejectionBody(result);
  simdjson::dom::parser json;
  simdjson::dom::element root;
  STRIX_CHECK(json.parse(answer).get(root) == simdjson::SUCCESS);
  uint64_t rejected = 0;
  STRIX_CHECK(root["rejected"].get_uint64().get(rejected) == simdjson::SUCCESS);
  STRIX_CHECK(rejected == result.rejected);
  return 0;
}

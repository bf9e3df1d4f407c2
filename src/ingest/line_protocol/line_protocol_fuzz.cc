// Fuzz target "line_protocol": parses arbitrary bytes as a line protocol body. It must
// never crash or read out of bounds, and what it reports must agree with what it wrote:
// the sample count equals the batch's, every line is counted once (accepted or
// rejected), every error points inside the body, and every series it emits passes
// storage's own label validation (so Append never sees a name or value the parser should
// have refused). Parsing the same body again with the same parser (warm scratch buffers)
// must give the same batch byte for byte.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "ingest/line_protocol/line_protocol.h"
#include "storage/labels.h"

namespace {

using namespace strix;           // NOLINT
using namespace strix::storage;  // NOLINT

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);  // exact bounds for ASan
  constexpr int64_t kNow = 1'700'000'000'000;

  ingest::ParseOptions options;
  options.max_line_bytes = 4096;  // small enough that the corpus reaches the limit
  options.max_fields_per_line = 50;
  options.max_errors = 3;
  ingest::LineProtocolParser parser(options);
  WriteBatch batch;
  ingest::ParseStats stats;
  STRIX_CHECK(parser.Parse(body, kNow, &batch, &stats).ok());

  const uint64_t newlines = static_cast<uint64_t>(std::count(body.begin(), body.end(), '\n'));
  const uint64_t physical_lines = newlines + 1;
  STRIX_CHECK(stats.samples == batch.sample_count());
  STRIX_CHECK(stats.rejected_lines <= stats.lines && stats.lines <= physical_lines);
  STRIX_CHECK(stats.first_errors.size() ==
              std::min<uint64_t>(stats.rejected_lines, options.max_errors));
  uint32_t previous_line = 0;
  for (const auto& e : stats.first_errors) {
    STRIX_CHECK(e.line > previous_line && e.line <= physical_lines);
    previous_line = e.line;
    STRIX_CHECK(e.column >= 1 && e.column <= options.max_line_bytes + 1);
    STRIX_CHECK(!e.message.empty());
  }

  uint32_t previous_tag = 0;
  for (const auto& s : batch.series()) {
    STRIX_CHECK(s.sample_count == 1);  // one sample per field
    STRIX_CHECK(s.kind == ValueKind::kGauge || s.kind == ValueKind::kDerive ||
                s.kind == ValueKind::kCounter64 || s.kind == ValueKind::kState);
    STRIX_CHECK(s.tag >= previous_tag && s.tag >= 1 && s.tag <= physical_lines);
    previous_tag = s.tag;
    auto labels = Labels::FromEncoded(batch.EncodedLabels(s));
    STRIX_CHECK(labels.ok());
    STRIX_CHECK(labels->ValidateSeries().ok());
    STRIX_CHECK(labels->MetricName().find('_') != std::string_view::npos);
    for (const auto& sample : batch.samples(s)) {
      if (s.kind == ValueKind::kGauge) STRIX_CHECK(std::isfinite(sample.value.f));
      if (s.kind == ValueKind::kState) {
        std::string_view st = batch.StateOf(sample);
        STRIX_CHECK(st.size() <= ingest::kMaxStateBytes && IsValidUtf8(st));
      }
    }
  }

  // Warm buffers must not change the result.
  WriteBatch again;
  ingest::ParseStats stats2;
  STRIX_CHECK(parser.Parse(body, kNow, &again, &stats2).ok());
  STRIX_CHECK(stats2.lines == stats.lines && stats2.rejected_lines == stats.rejected_lines &&
              stats2.samples == stats.samples);
  for (size_t i = 0; i < stats.first_errors.size(); ++i) {
    STRIX_CHECK(stats.first_errors[i].line == stats2.first_errors[i].line &&
                stats.first_errors[i].column == stats2.first_errors[i].column &&
                stats.first_errors[i].message == stats2.first_errors[i].message);
  }
  CheckSameBatch(batch, again);
  return 0;
}

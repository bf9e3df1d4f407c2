// pattoo's chart-data route (pattoo.md §3.7), which pattoo-web still uses:
//   GET /pattoo/api/v1/web/rest/data/<idx_datapoint>?secondsago=N
// answers [{"timestamp": ms, "value": v | null}, ...] on the datapoint's polling grid,
// counters as per-second rates. Differences from pattoo (docs/api.md):
//  * idx_datapoint is not a database row number but a stable 53-bit id of the datapoint's
//    identity (agent id, polled target, checksum): PattooDatapointIdx.
//  * The polling interval is not stored; the grid step is the median spacing of the
//    datapoint's samples in the window (rounded to whole seconds).
//  * A counter reset gives a null rate, a wrap the exact wrapped difference; pattoo's
//    abs() turned both into spikes.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/internal/api_impl.h"
#include "api/json.h"
#include "storage/aggregate.h"

namespace strix::api {

uint64_t PattooDatapointIdx(const storage::Labels& labels) {
  storage::StableHasher h(0x7061'7474'6f6f);  // "pattoo"
  h.Update(labels.Get("pattoo_agent_id"));
  h.Update('\0');
  h.Update(labels.Get("pattoo_agent_polled_target"));
  h.Update('\0');
  h.Update(labels.Get("pattoo_checksum"));
  const uint64_t idx = h.Digest() & ((uint64_t{1} << 53) - 1);  // exact in a JSON double
  return idx == 0 ? 1 : idx;
}

HttpResponse Api::Impl::PattooChartData(std::string_view idx_text, const QueryParams& q) {
  uint64_t idx = 0;
  auto [p, ec] = std::from_chars(idx_text.data(), idx_text.data() + idx_text.size(), idx);
  if (ec != std::errc() || p != idx_text.data() + idx_text.size() || idx == 0) {
    return ErrorResponse(400,
                         fmt::format("idx_datapoint '{}' is not a positive integer", idx_text));
  }
  int64_t seconds_ago = 7 * 86400;  // pattoo's default window
  if (auto s = q.Get("secondsago")) {
    auto [sp, sec] = std::from_chars(s->data(), s->data() + s->size(), seconds_ago);
    if (sec != std::errc() || sp != s->data() + s->size() || seconds_ago <= 0 ||
        seconds_ago > 20 * 366 * 86400LL) {
      return BadParam("secondsago", "expected a positive number of seconds");
    }
  }
  auto series = ctx.storage->Series({storage::Matcher::NotEqual("pattoo_checksum", "")},
                                    INT64_MIN / 2, INT64_MAX / 2);
  if (!series.ok()) return StatusResponse(series.status());
  const storage::SeriesInfo* found = nullptr;
  for (const storage::SeriesInfo& s : *series) {
    // Several series may share a datapoint identity (descriptive metadata changed): take
    // the one with the newest data, as pattoo keeps one datapoint.
    if (PattooDatapointIdx(s.labels) == idx && (found == nullptr || s.last_ts > found->last_ts)) {
      found = &s;
    }
  }
  if (found == nullptr || found->kind == storage::ValueKind::kState) {
    return JsonResponse(200, "[]");  // pattoo: no data (strings are never charted)
  }
  const int64_t stop = found->last_ts;
  const int64_t start = NowMs() - seconds_ago * 1000;
  if (start > stop) return JsonResponse(200, "[]");
  storage::SelectRequest req;
  for (const storage::Label& l : found->labels)
    req.matchers.push_back(storage::Matcher::Equal(l.name, l.value));
  req.from = start - 3'600'000;  // room for the grid's first bucket and a counter's previous point
  req.to = stop + 1;
  auto data = ctx.storage->Select(req);
  if (!data.ok()) return StatusResponse(data.status());
  if (data->empty()) return JsonResponse(200, "[]");
  const storage::SeriesData& d = (*data)[0];
  // The polling interval: the median spacing of the samples, whole seconds, at least 1 s.
  int64_t interval = 1000;
  if (d.timestamps.size() >= 2) {
    std::vector<int64_t> gaps;
    for (size_t i = 1; i < d.timestamps.size(); ++i)
      gaps.push_back(d.timestamps[i] - d.timestamps[i - 1]);
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
    interval = std::max<int64_t>(1000, (gaps[gaps.size() / 2] + 500) / 1000 * 1000);
  }
  auto norm = [interval](int64_t t) { return storage::AlignDown(t, interval); };
  const int64_t first = norm(start);
  const int64_t last = norm(stop);
  const size_t slots = static_cast<size_t>((last - first) / interval) + 1;
  if (slots > 1'000'000) return BadParam("secondsago", "more than 1,000,000 points; ask for less");
  // Last sample per grid slot (pattoo: the last one wins); one slot before the grid for
  // a counter's first rate.
  std::vector<std::optional<storage::NumericValue>> grid(slots + 1);
  for (size_t i = 0; i < d.timestamps.size() && i < d.raw.size(); ++i) {
    const int64_t slot = norm(d.timestamps[i]);
    if (slot < first - interval || slot > last) continue;
    grid[static_cast<size_t>((slot - (first - interval)) / interval)] = d.raw[i];
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  const bool counter = storage::IsCounter(d.kind);
  if (counter && d.timestamps.size() <= 1) return JsonResponse(200, "[]");
  for (size_t k = 1; k <= slots; ++k) {
    const int64_t ts = first + static_cast<int64_t>(k - 1) * interval;
    w.BeginObject().Key("timestamp").Int(ts).Key("value");
    if (!grid[k]) {
      w.Null();
    } else if (!counter) {
      w.Double(storage::ToDouble(d.kind, *grid[k]));
    } else if (!grid[k - 1]) {
      w.Null();
    } else {
      storage::Change c = storage::CounterIncrease(d.kind, grid[k - 1]->u, grid[k]->u);
      if (c.reset) {
        w.Null();
      } else {
        const double rate = static_cast<double>(c.delta.u) / static_cast<double>(interval) * 1000.0;
        w.Double(std::round(rate * 1e10) / 1e10);
      }
    }
    w.EndObject();
  }
  w.EndArray();
  return JsonResponse(200, std::move(body));
}

}  // namespace strix::api

// EngineOptions from config and their cross-field validation.
#include <string>

#include "storage/engine.h"

namespace strix::storage {

namespace {
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kYear = 366 * kDay;
}  // namespace

void BindEngineOptions(config::Section& s, EngineOptions* o) {
  s.Map("wal",
        [&](config::Section& w) {
          w.Bytes("segment_bytes", &o->wal_segment_bytes, 1 << 20, 4ull << 30)
              .Duration("sync_interval", &o->wal_sync_interval_ms, 0, 60'000)
              .Enum("on_corruption", &o->wal_on_corruption,
                    {{"truncate", WalCorruptionPolicy::kTruncate},
                     {"fail", WalCorruptionPolicy::kFail}});
        })
      .Duration("out_of_order_window", &o->out_of_order_window_ms, 0, 30 * kDay)
      .Duration("future_tolerance", &o->future_tolerance_ms, 0, kDay)
      .Duration("head_flush_interval", &o->head_flush_interval_ms, 60'000, kDay)
      .Bytes("head_max_bytes", &o->head_max_bytes, 16ull << 20, 1ull << 40)
      .Duration("block_window", &o->block_window_ms, 60'000, 31 * kDay)
      .Bytes("disk_budget", &o->disk_budget_bytes, 0, 1ull << 50)
      .Duration("background_interval", &o->background_interval_ms, 100, 3'600'000);
  if (s.Has("tiers")) {
    std::vector<TierOptions> tiers;
    s.List("tiers", [&](config::Section& t, size_t) {
      TierOptions tier;
      t.Required("name")
          .String("name", &tier.name, /*non_empty=*/true)
          .Duration("resolution", &tier.resolution_ms, 0, kYear)
          .Duration("retention", &tier.retention_ms, 0, 100 * kYear);
      tiers.push_back(tier);
    });
    o->tiers = std::move(tiers);
  }
}

Status ValidateEngineOptions(const EngineOptions& o) {
  if (o.tiers.empty() || o.tiers[0].resolution_ms != 0) {
    return Status::InvalidArgument("the first tier must be the raw tier (resolution 0)",
                                   "storage.tiers[0].resolution");
  }
  for (size_t i = 1; i < o.tiers.size(); ++i) {
    const auto& prev = o.tiers[i - 1];
    const auto& t = o.tiers[i];
    std::string key = "storage.tiers[" + std::to_string(i) + "].resolution";
    if (t.resolution_ms <= 0) {
      return Status::InvalidArgument("only the first tier may be raw (resolution 0)", key);
    }
    if (prev.resolution_ms > 0 &&
        (t.resolution_ms <= prev.resolution_ms || t.resolution_ms % prev.resolution_ms != 0)) {
      return Status::InvalidArgument(
          "each tier's resolution must be a multiple of, and larger than, the previous one's", key);
    }
    if (o.block_window_ms % t.resolution_ms != 0 && t.resolution_ms % o.block_window_ms != 0) {
      return Status::InvalidArgument(
          "the block window and each tier's resolution must divide one another", key);
    }
    for (size_t j = 0; j < i; ++j) {
      if (o.tiers[j].name == t.name) {
        return Status::InvalidArgument("duplicate tier name \"" + t.name + "\"",
                                       "storage.tiers[" + std::to_string(i) + "].name");
      }
    }
  }
  if (o.out_of_order_window_ms > o.tiers[0].retention_ms && o.tiers[0].retention_ms != 0) {
    return Status::InvalidArgument("the out-of-order window must not exceed raw retention",
                                   "storage.out_of_order_window");
  }
  return Status::Ok();
}

}  // namespace strix::storage

// The embedded storage engine: OpenEmbedded() and its options. See
// docs/architecture.md for how the parts (WAL, head, blocks, compaction, tiers,
// retention) fit together, and docs/format/ for each file format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/env.h"
#include "core/result.h"
#include "storage/storage.h"

namespace strix::storage {

// What to do with a corrupt record in the middle of the WAL at open.
enum class WalCorruptionPolicy : uint8_t {
  kTruncate,  // drop the WAL after the bad record, log loudly, count it, carry on
  kFail,      // refuse to open
};

struct TierOptions {
  std::string name;           // "raw", "1m", "1h"
  int64_t resolution_ms = 0;  // 0 for raw; each tier's a multiple of the previous
  int64_t retention_ms = 0;   // 0: no age limit (only the disk budget)
};

struct EngineOptions {
  // ---- WAL
  // Start a new segment when the current one would exceed this size.
  uint64_t wal_segment_bytes = 128ull << 20;
  // 0: an append is acknowledged only after fdatasync (the default: no acknowledged
  // sample is ever lost). N > 0: acknowledged after write(2) and synced every N ms, so a
  // power cut (not a process crash) may lose the last N ms of acknowledged writes.
  int64_t wal_sync_interval_ms = 0;
  WalCorruptionPolicy wal_on_corruption = WalCorruptionPolicy::kTruncate;

  // ---- head
  // Samples older than now minus this window are rejected (agents replaying their
  // buffers after an outage need it); younger late samples are accepted.
  int64_t out_of_order_window_ms = 24 * 3600 * 1000;
  // Samples further in the future than now plus this are rejected.
  int64_t future_tolerance_ms = 10 * 60 * 1000;
  // Flush the head to blocks once it spans this much time...
  int64_t head_flush_interval_ms = 30 * 60 * 1000;
  // ...or holds this much memory.
  uint64_t head_max_bytes = 1ull << 30;

  // ---- blocks and compaction
  // Raw blocks are cut at multiples of this window; compaction merges each closed
  // window's blocks into one.
  int64_t block_window_ms = 2 * 3600 * 1000;

  // ---- tiers and retention
  // Raw first; each next tier's resolution a multiple of the previous one's.
  std::vector<TierOptions> tiers = {
      {"raw", 0, 15LL * 86400 * 1000},
      {"1m", 60 * 1000, 90LL * 86400 * 1000},
      {"1h", 3600 * 1000, 3 * 365LL * 86400 * 1000},
  };
  // Total bytes the data directory may use; 0 = no budget. When exceeded, the oldest
  // blocks of the finest tier go first.
  uint64_t disk_budget_bytes = 0;

  // How often the background thread looks for flush/compaction/tier/retention work.
  int64_t background_interval_ms = 10 * 1000;
};

// Reads EngineOptions from a config section (the `storage:` mapping of strixd.yaml).
void BindEngineOptions(config::Section& s, EngineOptions* o);
// Checks cross-field rules (tier order and multiples, windows); config errors name keys.
Status ValidateEngineOptions(const EngineOptions& o);

// Opens (creating if needed) the storage in `dir`: takes the directory lock, loads the
// blocks, replays the WAL into the head and starts the background thread.
Result<std::unique_ptr<Storage>> OpenEmbedded(const std::string& dir, const EngineOptions& opts,
                                              Env& env = Env::Default(),
                                              Clock& clock = Clock::Real());

}  // namespace strix::storage

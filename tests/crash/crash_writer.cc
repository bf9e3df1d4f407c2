// A storage writer to be killed: appends deterministic batches to the engine in <dir> and
// prints "ack <n>" after Append(batch n) returned OK (so everything printed is durable).
// Every 7th batch it flushes the head to a block, every 23rd it compacts. Used by
// kill9_test, which kill -9s it at a random moment and checks the data directory.
//
//   crash_writer <dir> <first-batch>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/engine.h"
#include "tests/crash/workload.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer <dir> <first-batch>\n");
    return 2;
  }
  strix::storage::EngineOptions o;
  o.background_interval_ms = 50;  // background flush/compaction may be cut too
  o.head_flush_interval_ms = 60'000;
  auto db = strix::storage::OpenEmbedded(argv[1], o);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  for (uint64_t n = std::strtoull(argv[2], nullptr, 10);; ++n) {
    strix::storage::WriteBatch b;
    strix::crashtest::MakeBatch(n, &b);
    auto r = (*db)->Append(b);
    if (!r.ok() || r->rejected > 0) {
      std::fprintf(stderr, "append %llu: %s\n", static_cast<unsigned long long>(n),
                   r.ok() ? "samples rejected" : r.status().ToString().c_str());
      return 1;
    }
    std::printf("ack %llu\n", static_cast<unsigned long long>(n));
    std::fflush(stdout);
    if (n % 7 == 6 && !(*db)->Flush().ok()) return 1;
    if (n % 23 == 22 && !(*db)->Compact().ok()) return 1;
  }
}

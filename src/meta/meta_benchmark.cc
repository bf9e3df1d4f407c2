// Metadata store costs on the request and ingest paths. Run:
//   build/release/src/meta/meta_benchmark
// BM_VerifyToken/<tokens>: VerifyToken of a valid token in a database holding <tokens>
//   tokens (parse, BLAKE2b-256, one prepared point query on the reader connection,
//   constant-time compare). The database file is on $TMPDIR (or /tmp); the pages are in
//   SQLite's and the OS's caches after the first iterations, as on a busy server.
// BM_VerifyTokenWrongSecret / BM_VerifyTokenUnknownId: the refusals (should cost the same).
// BM_VerifyTokenMalformed: refused by the parser, no query.
// BM_TouchHostsKnown/<batch>: TouchHosts of <batch> known hosts (the per-ingest-batch cost).
// BM_FlushActivity/<hosts>: FlushActivity of <hosts> dirty hosts, one transaction (fsync).
// BM_CreateToken: CreateToken, one autocommit INSERT with fsync (synchronous = FULL).
// Setup uses synchronous = NORMAL for the bulk inserts except in BM_FlushActivity and
// BM_CreateToken, which measure the default (FULL).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/check.h"
#include "core/testing/temp_dir.h"
#include "meta/meta_store.h"

namespace strix::meta {
namespace {

std::unique_ptr<MetaStore> OpenStore(const testing::TempDir& dir, bool sync_full) {
  MetaStoreOptions o;
  o.synchronous_full = sync_full;
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(dir.Join("meta.db"), o);
  STRIX_CHECK_MSG(r.ok(), r.status().ToString().c_str());
  return std::move(r).value();
}

// A store with `n` tokens; returns the plaintext of one in the middle.
std::string FillTokens(MetaStore* store, int64_t n) {
  std::string middle;
  for (int64_t i = 0; i < n; ++i) {
    Result<NewToken> t = store->CreateToken("token " + std::to_string(i), {Scope::kIngest});
    STRIX_CHECK(t.ok());
    if (i == n / 2) middle = t->plaintext;
  }
  return middle;
}

void BM_VerifyToken(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, false);
  std::string token = FillTokens(store.get(), state.range(0));
  for (auto _ : state) {
    Result<Principal> p = store->VerifyToken(token);
    benchmark::DoNotOptimize(p);
    STRIX_CHECK(p.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyToken)->Arg(1)->Arg(10'000);

void BM_VerifyTokenWrongSecret(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, false);
  std::string token = FillTokens(store.get(), 10'000);
  token[30] = token[30] == 'a' ? 'b' : 'a';
  for (auto _ : state) {
    Result<Principal> p = store->VerifyToken(token);
    benchmark::DoNotOptimize(p);
    STRIX_CHECK(!p.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyTokenWrongSecret);

void BM_VerifyTokenUnknownId(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, false);
  FillTokens(store.get(), 10'000);
  std::string token = FormatToken(GenerateTokenId(), GenerateTokenSecret());
  for (auto _ : state) {
    Result<Principal> p = store->VerifyToken(token);
    benchmark::DoNotOptimize(p);
    STRIX_CHECK(!p.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyTokenUnknownId);

void BM_VerifyTokenMalformed(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, false);
  std::string token = "strix_not_a_token";
  for (auto _ : state) {
    Result<Principal> p = store->VerifyToken(token);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyTokenMalformed);

std::vector<std::string> HostNames(int64_t n) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < n; ++i) names.push_back("host-" + std::to_string(i) + ".example.org");
  return names;
}

void BM_TouchHostsKnown(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, false);
  std::vector<std::string> names = HostNames(1000);
  std::vector<HostSeen> all;
  for (const std::string& n : names) all.push_back({n, 1});
  STRIX_CHECK(store->TouchHosts(all).ok());
  const int64_t batch = state.range(0);
  std::vector<HostSeen> seen(static_cast<size_t>(batch));
  int64_t t = 2;
  size_t next = 0;
  for (auto _ : state) {
    for (HostSeen& s : seen) {
      s = {names[next], t};
      next = (next + 1) % names.size();
    }
    ++t;
    Status st = store->TouchHosts(seen);
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_TouchHostsKnown)->Arg(1)->Arg(100);

void BM_FlushActivity(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, true);
  std::vector<std::string> names = HostNames(state.range(0));
  std::vector<HostSeen> seen;
  for (const std::string& n : names) seen.push_back({n, 1});
  STRIX_CHECK(store->TouchHosts(seen).ok());
  int64_t t = 2;
  for (auto _ : state) {
    state.PauseTiming();
    for (HostSeen& s : seen) s.seen_ms = t;
    ++t;
    STRIX_CHECK(store->TouchHosts(seen).ok());
    state.ResumeTiming();
    STRIX_CHECK(store->FlushActivity().ok());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FlushActivity)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_CreateToken(benchmark::State& state) {
  testing::TempDir dir;
  auto store = OpenStore(dir, true);
  for (auto _ : state) {
    Result<NewToken> t = store->CreateToken("bench", {Scope::kRead});
    STRIX_CHECK(t.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateToken)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strix::meta

BENCHMARK_MAIN();

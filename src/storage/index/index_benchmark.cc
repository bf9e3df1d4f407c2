// Index benchmarks on node-exporter-like data: H hosts x 100 series (87 metric names;
// labels __name__, host, job, and cpu+mode or device on some metrics), refs assigned host by
// host as a head would. /10000 is the 1,000,000-series case; /100 (10,000 series) is the
// smoke run.
//
//   MemPostingsMemory: bytes per series of symbols + postings + per-series labels, three
//     ways: the structures' own accounting (Stats), bytes counted by a global operator new
//     hook, and the RSS delta. Also what a Labels object per series would cost instead.
//   MemSelect*, IndexSelect*: Select latency for one host, one metric across all hosts,
//     regexes on host, negative matchers; IndexOpen*: opening a block index (mmapped file).
//
// Run: build/release/src/storage/index/index_benchmark (or make bench).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "storage/index/index_reader.h"
#include "storage/index/index_writer.h"
#include "storage/index/mem_postings.h"
#include "storage/labels.h"

// --- Allocation counting -----------------------------------------------------------------

namespace {
std::atomic<int64_t> g_heap_bytes{0};

void* CountedAlloc(size_t n, size_t align) {
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();  // no exceptions: out of memory is fatal here
  g_heap_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void CountedFree(void* p) {
  if (p == nullptr) return;
  g_heap_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(size_t n) { return CountedAlloc(n, 0); }
void* operator new[](size_t n) { return CountedAlloc(n, 0); }
void* operator new(size_t n, std::align_val_t a) { return CountedAlloc(n, static_cast<size_t>(a)); }
void* operator new[](size_t n, std::align_val_t a) {
  return CountedAlloc(n, static_cast<size_t>(a));
}
void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, size_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { CountedFree(p); }

namespace strix::storage::index {
namespace {

int64_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// --- Data --------------------------------------------------------------------------------

constexpr int kSeriesPerHost = 100;

std::string HostName(int h) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "web-%05d.dc%d.example.net", h, h % 3 + 1);
  return buf;
}

// The 100 series of one host.
std::vector<Labels> HostSeries(int h) {
  static const char* kPlain[] = {"load1",
                                 "load5",
                                 "load15",
                                 "boot_time_seconds",
                                 "time_seconds",
                                 "procs_running",
                                 "procs_blocked",
                                 "forks_total",
                                 "context_switches_total",
                                 "intr_total",
                                 "entropy_avail_bits",
                                 "uname_info"};
  static const char* kModes[] = {"idle", "user", "system", "iowait"};
  static const char* kDevMetrics[] = {
      "node_disk_read_bytes_total",        "node_disk_written_bytes_total",
      "node_disk_io_time_seconds_total",   "node_network_receive_bytes_total",
      "node_network_transmit_bytes_total", "node_network_receive_errs_total"};
  std::string host = HostName(h);
  std::vector<Labels> out;
  out.reserve(kSeriesPerHost);
  for (int i = 0; i < 80; ++i) {
    std::string name = i < 12 ? std::string("node_") + kPlain[i]
                              : "node_memory_metric_" + std::to_string(i) + "_bytes";
    out.push_back(Labels({{"__name__", name}, {"host", host}, {"job", "node"}}));
  }
  for (int cpu = 0; cpu < 2; ++cpu)
    for (const char* mode : kModes)
      out.push_back(Labels({{"__name__", "node_cpu_seconds_total"},
                            {"host", host},
                            {"job", "node"},
                            {"cpu", std::to_string(cpu)},
                            {"mode", mode}}));
  for (int m = 0; m < 6; ++m) {
    const char* devs[2] = {m < 3 ? "sda" : "eth0", m < 3 ? "sdb" : "lo"};
    for (const char* dev : devs)
      out.push_back(
          Labels({{"__name__", kDevMetrics[m]}, {"host", host}, {"job", "node"}, {"device", dev}}));
  }
  return out;
}

struct Fixture {
  int hosts = 0;
  std::unique_ptr<MemPostings> mem;
  strix::testing::TempDir dir;
  std::unique_ptr<ReadOnlyRegion> file;  // the on-disk index, mapped
  std::unique_ptr<IndexReader> reader;
};

Fixture& GetFixture(int hosts) {
  static std::map<int, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[hosts];
  if (f) return *f;
  f = std::make_unique<Fixture>();
  f->hosts = hosts;
  f->mem = std::make_unique<MemPostings>();
  std::vector<IndexSeries> all;
  all.reserve(static_cast<size_t>(hosts) * kSeriesPerHost);
  SeriesRef ref = 0;
  for (int h = 0; h < hosts; ++h) {
    for (Labels& l : HostSeries(h)) {
      if (!f->mem->Add(ref++, l).ok()) std::abort();
      all.push_back({std::move(l), std::string(8, 'p')});  // e.g. a chunk reference
    }
  }
  Result<std::string> data = BuildIndex(all);
  if (!data.ok()) std::abort();
  Env& env = Env::Default();
  std::string path = f->dir.Join("index");
  if (!WriteFileAtomically(env, path, *data).ok()) std::abort();
  auto region = env.MapReadOnly(path);
  if (!region.ok()) std::abort();
  f->file = std::move(*region);
  auto reader = IndexReader::Open(f->file->data());
  if (!reader.ok()) std::abort();
  f->reader = std::move(*reader);
  return *f;
}

std::vector<Matcher> Sel(const std::string& text) {
  auto ms = ParseMatchers(text);
  if (!ms.ok()) std::abort();
  return std::move(*ms);
}

// --- Memory ------------------------------------------------------------------------------

void BM_MemPostingsMemory(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  const double n = static_cast<double>(hosts) * kSeriesPerHost;
  MemPostingsStats stats;
  int64_t heap = 0, rss = 0;
  size_t labels_bytes = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    state.PauseTiming();
    malloc_trim(0);
    int64_t heap0 = g_heap_bytes.load();
    int64_t rss0 = RssBytes();
    state.ResumeTiming();
    auto p = std::make_unique<MemPostings>();
    SeriesRef ref = 0;
    labels_bytes = 0;
    for (int h = 0; h < hosts; ++h) {
      for (const Labels& l : HostSeries(h)) {
        if (!p->Add(ref++, l).ok()) std::abort();
        labels_bytes += sizeof(Labels) + l.MemoryBytes();
      }
    }
    state.PauseTiming();
    heap = g_heap_bytes.load() - heap0;
    rss = RssBytes() - rss0;
    stats = p->Stats();
    p.reset();
    state.ResumeTiming();
  }
  state.counters["series"] = n;
  state.counters["bytes_per_series"] = static_cast<double>(stats.total_bytes()) / n;
  state.counters["heap_per_series"] = static_cast<double>(heap) / n;
  state.counters["rss_per_series"] = static_cast<double>(rss) / n;
  state.counters["symbols_B"] = static_cast<double>(stats.symbol_bytes) / n;
  state.counters["postings_B"] = static_cast<double>(stats.postings_bytes) / n;
  state.counters["maps_B"] = static_cast<double>(stats.map_bytes) / n;
  state.counters["series_B"] = static_cast<double>(stats.series_bytes) / n;
  state.counters["labels_obj_B"] = static_cast<double>(labels_bytes) / n;
  state.counters["adds_per_s"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MemPostingsMemory)->Arg(100)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

// --- In-memory selects -------------------------------------------------------------------

void RunMemSelect(benchmark::State& state, const std::vector<std::vector<Matcher>>& queries) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  size_t i = 0, results = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    std::vector<SeriesRef> r = f.mem->Select(queries[i++ % queries.size()]);
    results += r.size();
    benchmark::DoNotOptimize(r.data());
  }
  state.counters["series_out"] =
      static_cast<double>(results) / static_cast<double>(state.iterations());
}

std::vector<std::vector<Matcher>> OneHostQueries(int hosts) {
  std::vector<std::vector<Matcher>> q;
  for (int i = 0; i < 64; ++i) q.push_back(Sel("{host=\"" + HostName(i * 7919 % hosts) + "\"}"));
  return q;
}

void BM_MemSelectOneHost(benchmark::State& state) {
  RunMemSelect(state, OneHostQueries(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_MemSelectOneHost)->Arg(100)->Arg(10000);

void BM_MemSelectMetricOneHost(benchmark::State& state) {
  int hosts = static_cast<int>(state.range(0));
  std::vector<std::vector<Matcher>> q;
  for (int i = 0; i < 64; ++i)
    q.push_back(Sel("node_load1{host=\"" + HostName(i * 7919 % hosts) + "\"}"));
  RunMemSelect(state, q);
}
BENCHMARK(BM_MemSelectMetricOneHost)->Arg(100)->Arg(10000);

void BM_MemSelectMetricAllHosts(benchmark::State& state) {
  RunMemSelect(state, {Sel("node_load1"), Sel("node_memory_metric_40_bytes")});
}
BENCHMARK(BM_MemSelectMetricAllHosts)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_MemSelectCpuNotIdleAllHosts(benchmark::State& state) {
  RunMemSelect(state, {Sel("node_cpu_seconds_total{mode!=\"idle\"}")});
}
BENCHMARK(BM_MemSelectCpuNotIdleAllHosts)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// A regex with a literal prefix: 1% of the hosts (narrowed to a range of sorted values).
void BM_MemSelectHostPrefixRegex(benchmark::State& state) {
  RunMemSelect(state,
               {Sel("node_load1{host=~\"web-000.*\"}"), Sel("{host=~\"web-001[0-9]{2}\\\\..*\"}")});
}
BENCHMARK(BM_MemSelectHostPrefixRegex)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// A regex without a literal prefix: RE2 over every host value.
void BM_MemSelectHostRegex(benchmark::State& state) {
  RunMemSelect(state, {Sel("node_cpu_seconds_total{host=~\".*0(17|42)\\\\.dc[12].*\"}")});
}
BENCHMARK(BM_MemSelectHostRegex)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Queries whose second matcher exercises Filter: 0 a metric on one host (1 of 100
// candidates kept), 1 one host without mode=idle (negative, 92 of 100 kept), 2 a metric on
// 1% of the hosts by prefix regex, 3 a metric on 10% of the hosts.
std::vector<std::vector<Matcher>> FilterQueries(int hosts, int kind) {
  std::vector<std::vector<Matcher>> q;
  for (int i = 0; i < 16; ++i) {
    std::string host = HostName(i * 7919 % hosts);
    if (kind == 0) q.push_back(Sel("node_load1{host=\"" + host + "\"}"));
    if (kind == 1) q.push_back(Sel("{host=\"" + host + "\",mode!=\"idle\"}"));
  }
  if (kind == 2) q.push_back(Sel("node_cpu_seconds_total{host=~\"web-000.*\"}"));
  if (kind == 3) q.push_back(Sel("node_cpu_seconds_total{host=~\"web-0[0-9]0.*\"}"));
  return q;
}

// Calibrates the cost model of MemPostings' Filter: each strategy forced (0 auto, 1 probe,
// 2 merge, 3 labels).
void BM_MemFilterStrategy(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  std::vector<std::vector<Matcher>> q = FilterQueries(f.hosts, static_cast<int>(state.range(2)));
  f.mem->set_filter_strategy_for_testing(static_cast<FilterStrategy>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    benchmark::DoNotOptimize(f.mem->Select(q[i++ % q.size()]).size());
  }
  f.mem->set_filter_strategy_for_testing(FilterStrategy::kAuto);
}
BENCHMARK(BM_MemFilterStrategy)
    ->ArgsProduct({{100, 10000}, {0, 1, 2, 3}, {0, 1, 2, 3}})
    ->ArgNames({"hosts", "strategy", "query"});

void BM_MemLabelValuesHost(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    benchmark::DoNotOptimize(f.mem->LabelValues("host").size());
  }
}
BENCHMARK(BM_MemLabelValuesHost)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// --- On-disk index -----------------------------------------------------------------------

// The writer as the block layer drives it: series already sorted, symbols collected.
void BM_IndexWrite(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  std::vector<IndexSeries> all;
  for (int h = 0; h < hosts; ++h)
    for (Labels& l : HostSeries(h)) all.push_back({std::move(l), std::string(8, 'p')});
  std::sort(all.begin(), all.end(),
            [](const IndexSeries& a, const IndexSeries& b) { return a.labels < b.labels; });
  std::vector<std::string_view> symbols;
  for (const IndexSeries& s : all) {
    for (const Label& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  size_t bytes = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    StringFile file;
    auto w = IndexWriter::Create(&file, symbols);
    for (const IndexSeries& s : all)
      if (!(*w)->AddSeries(s.labels, s.payload).ok()) std::abort();
    if (!(*w)->Finish().ok()) std::abort();
    bytes = file.data().size();
  }
  state.counters["bytes_per_series"] = static_cast<double>(bytes) / static_cast<double>(all.size());
  state.counters["series_per_s"] = benchmark::Counter(
      static_cast<double>(all.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_IndexWrite)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_IndexOpen(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  IndexReaderOptions o;
  o.verify_checksums = state.range(1) != 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    auto r = IndexReader::Open(f.file->data(), o);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(r->get());
  }
  state.counters["file_MB"] = static_cast<double>(f.file->data().size()) / 1e6;
}
BENCHMARK(BM_IndexOpen)
    ->ArgsProduct({{100, 10000}, {0, 1}})
    ->ArgNames({"hosts", "verify"})
    ->Unit(benchmark::kMicrosecond);

void BM_IndexOpenAndSelectOneHost(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  auto q = OneHostQueries(static_cast<int>(state.range(0)));
  IndexReaderOptions o;
  o.verify_checksums = false;
  size_t i = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    auto r = IndexReader::Open(f.file->data(), o);
    auto sel = (*r)->Select(q[i++ % q.size()]);
    benchmark::DoNotOptimize(sel->data());
  }
}
BENCHMARK(BM_IndexOpenAndSelectOneHost)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

void RunIndexSelect(benchmark::State& state, const std::vector<std::vector<Matcher>>& queries) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  size_t i = 0, results = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    auto r = f.reader->Select(queries[i++ % queries.size()]);
    results += r->size();
    benchmark::DoNotOptimize(r->data());
  }
  state.counters["series_out"] =
      static_cast<double>(results) / static_cast<double>(state.iterations());
}

void BM_IndexSelectOneHost(benchmark::State& state) {
  RunIndexSelect(state, OneHostQueries(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_IndexSelectOneHost)->Arg(100)->Arg(10000);

void BM_IndexSelectMetricOneHost(benchmark::State& state) {
  int hosts = static_cast<int>(state.range(0));
  std::vector<std::vector<Matcher>> q;
  for (int i = 0; i < 64; ++i)
    q.push_back(Sel("node_load1{host=\"" + HostName(i * 7919 % hosts) + "\"}"));
  RunIndexSelect(state, q);
}
BENCHMARK(BM_IndexSelectMetricOneHost)->Arg(100)->Arg(10000);

void BM_IndexSelectMetricAllHosts(benchmark::State& state) {
  RunIndexSelect(state, {Sel("node_load1"), Sel("node_memory_metric_40_bytes")});
}
BENCHMARK(BM_IndexSelectMetricAllHosts)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_IndexSelectCpuNotIdleAllHosts(benchmark::State& state) {
  RunIndexSelect(state, {Sel("node_cpu_seconds_total{mode!=\"idle\"}")});
}
BENCHMARK(BM_IndexSelectCpuNotIdleAllHosts)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_IndexSelectHostPrefixRegex(benchmark::State& state) {
  RunIndexSelect(
      state, {Sel("node_load1{host=~\"web-000.*\"}"), Sel("{host=~\"web-001[0-9]{2}\\\\..*\"}")});
}
BENCHMARK(BM_IndexSelectHostPrefixRegex)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_IndexSelectHostRegex(benchmark::State& state) {
  RunIndexSelect(state, {Sel("node_cpu_seconds_total{host=~\".*0(17|42)\\\\.dc[12].*\"}")});
}
BENCHMARK(BM_IndexSelectHostRegex)->Arg(100)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Calibrates IndexReader's Filter: each strategy forced (0 auto, 2 merge, 3 labels).
void BM_IndexFilterStrategy(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  std::vector<std::vector<Matcher>> q = FilterQueries(f.hosts, static_cast<int>(state.range(2)));
  f.reader->set_filter_strategy_for_testing(static_cast<FilterStrategy>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    benchmark::DoNotOptimize(f.reader->Select(q[i++ % q.size()])->size());
  }
  f.reader->set_filter_strategy_for_testing(FilterStrategy::kAuto);
}
BENCHMARK(BM_IndexFilterStrategy)
    ->ArgsProduct({{100, 10000}, {0, 2, 3}, {0, 1, 2, 3}})
    ->ArgNames({"hosts", "strategy", "query"});

}  // namespace
}  // namespace strix::storage::index

BENCHMARK_MAIN();

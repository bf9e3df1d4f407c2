# The README's commands and the test tiers. Everything builds with CMake + Ninja into
# build/<flavour>; `make test` is what CI runs (.ci/run).
#
#   make run           set up, build, start strixd with embedded storage and a local agent
#   make web           the web UI alone: web/dist (npm run build; `build` does it too)
#   make test          set up, build (optimised, assertions on), all quick tiers; ends with ctest's summary
#   make bench         side-by-side benchmark, small profile: strixd vs VictoriaMetrics, InfluxDB, Prometheus
#   make bench-large   the same, large profile (about 30 million samples)
#   make microbench    Google Benchmark micro-benchmarks (figures for docs/performance.md)
#   make bench-agent   strix-agent's resident memory and CPU, Linux input at 10 s, 10 minutes
#   make bench-web     the dashboard in chromium: 20 charts over 7 days, a 100k-point chart
#   make asan          address + undefined-behaviour sanitizer build, unit tests
#   make fuzz          libFuzzer campaign on every fuzz target (FUZZ_SECONDS each)
#   make crash         long crash-recovery loops
#   make clang         clang build with -Wthread-safety (part of make test)
#   make format        clang-format in place;  make format-check  fails on a difference
#   make tidy          clang-tidy over the sources

SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
ASAN := build/asan
CLANG := build/clang
FUZZ := build/fuzz
FUZZ_SECONDS ?= 60
SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.h' '*.cc' 2>/dev/null)

.PHONY: all setup build web test run bench bench-large bench-agent bench-web microbench asan fuzz crash clang format format-check tidy clean

all: build

setup:
	@scripts/setup.sh

$(RELEASE)/build.ninja:
	cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: setup $(RELEASE)/build.ninja web
	cmake --build $(RELEASE) -j $(JOBS)

# The web UI (web/README.md): rebuilt when a file of web/ outside its tests changed.
WEB_SOURCES = $(shell git ls-files --cached --others --exclude-standard web 2>/dev/null | grep -v '^web/tests/')
web/dist/index.html: $(WEB_SOURCES)
	cd web && npm run build --silent
web: setup
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory web/dist/index.html; fi

# The thread-safety analysis only runs under clang; this build compiles everything
# with -Wthread-safety as an error and runs nothing.
$(CLANG)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(CLANG) -G Ninja -DCMAKE_BUILD_TYPE=Release
clang: setup $(CLANG)/build.ninja
	cmake --build $(CLANG) -j $(JOBS)

test: build clang format-check
	cd $(RELEASE) && ctest -j $(JOBS) --output-on-failure --label-exclude slow

run: build
	@scripts/run.sh

# Side by side against the peers from deps.txt (bench/compare/README.md). Prints the
# markdown table and writes it beside the JSON.
bench: build
	@mkdir -p $(RELEASE)/bench-results
	python3 -B bench/compare/compare.py --profile small --rounds 3 --bin-dir $(RELEASE) \
	  --json $(RELEASE)/bench-results/compare-small.json
bench-large: build
	@mkdir -p $(RELEASE)/bench-results
	python3 -B bench/compare/compare.py --profile large --rounds 3 --bin-dir $(RELEASE) \
	  --json $(RELEASE)/bench-results/compare-large.json

bench-agent: build
	@mkdir -p $(RELEASE)/bench-results
	python3 -B bench/agent/footprint.py --bin-dir $(RELEASE) --duration 600 --interval 10s \
	  --json $(RELEASE)/bench-results/agent-footprint.json

bench-web: build
	@mkdir -p $(RELEASE)/bench-results
	node web/tests/bench.mjs --bin-dir $(RELEASE) --runs 7 \
	  --json $(RELEASE)/bench-results/web.json

microbench: build
	@mkdir -p $(RELEASE)/bench-results
	@for b in $$(find $(RELEASE)/src -type f -name '*_benchmark' -perm -u+x | sort); do \
	  echo "== $$b"; \
	  $$b --benchmark_out=$(RELEASE)/bench-results/$$(basename $$b).json \
	      --benchmark_out_format=json || exit 1; \
	done

$(ASAN)/build.ninja:
	cmake -S . -B $(ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIX_SANITIZE=address,undefined
asan: setup $(ASAN)/build.ninja
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest -j $(JOBS) --output-on-failure -L 'unit|fuzz_replay'

$(FUZZ)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIX_FUZZ=ON
fuzz: setup $(FUZZ)/build.ninja
	cmake --build $(FUZZ) -j $(JOBS)
	@set -e; for f in $$(find $(FUZZ)/src -type f -name '*_fuzz' -perm -u+x | sort); do \
	  t=$$(basename $$f _fuzz); \
	  mkdir -p $(FUZZ)/corpus/$$t $(FUZZ)/artifacts/$$t; \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS)s (new inputs: $(FUZZ)/corpus/$$t)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/artifacts/$$t/ \
	      $(FUZZ)/corpus/$$t testdata/fuzz/$$t; \
	done

crash: build
	cd $(RELEASE) && ctest --output-on-failure -L slow

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run -Werror $(SOURCES) && echo "format-check: ok"

tidy: $(RELEASE)/build.ninja
	printf '%s\n' $(filter %.cc,$(SOURCES)) | xargs -P $(JOBS) -n 4 clang-tidy -p $(RELEASE) --quiet

clean:
	rm -rf build

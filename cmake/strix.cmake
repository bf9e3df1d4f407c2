# Helpers for tests, fuzz targets and benchmarks that live beside the code they test.

# strix_test(<name> SOURCES <files...> DEPS <targets...>)
# A GoogleTest binary; each TEST becomes one ctest test labelled "unit" (or LABELS).
function(strix_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # One label: "unit", or the test's own (e.g. "integration"). A list would not survive
  # gtest_discover_tests' PROPERTIES (its second item is read as a property name).
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${labels}"
    ENVIRONMENT "STRIX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# strix_fuzz(<target> SOURCES <files...> DEPS <targets...>)
# <files> define LLVMFuzzerTestOneInput. With STRIX_FUZZ=ON this builds <target>_fuzz, a
# libFuzzer binary (make fuzz runs it on testdata/fuzz/<target>). Otherwise it builds
# <target>_fuzz_replay, which feeds every file of testdata/fuzz/<target>/ to the target
# once, as the ctest "fuzz_replay.<target>": the corpus is replayed on every test run.
function(strix_fuzz target)
  cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
  set(corpus ${CMAKE_SOURCE_DIR}/testdata/fuzz/${target})
  if(STRIX_FUZZ)
    add_executable(${target}_fuzz ${F_SOURCES})
    target_link_libraries(${target}_fuzz PRIVATE ${F_DEPS})
    target_link_options(${target}_fuzz PRIVATE -fsanitize=fuzzer)
    set_property(GLOBAL APPEND PROPERTY STRIX_FUZZ_TARGETS ${target})
  else()
    add_executable(${target}_fuzz_replay ${F_SOURCES}
                   ${CMAKE_SOURCE_DIR}/src/core/testing/fuzz_replay_main.cc)
    target_link_libraries(${target}_fuzz_replay PRIVATE ${F_DEPS})
    add_test(NAME fuzz_replay.${target} COMMAND ${target}_fuzz_replay ${corpus})
    set_tests_properties(fuzz_replay.${target} PROPERTIES LABELS "fuzz_replay")
  endif()
endfunction()

# strix_benchmark(<name> SOURCES <files...> DEPS <targets...>)
# A Google Benchmark binary (make bench runs them all). A smoke run with a tiny time
# budget is registered as the ctest "bench_smoke.<name>" so benchmarks keep compiling
# and running; the figures come from make bench, never from ctest.
function(strix_benchmark name)
  cmake_parse_arguments(B "" "" "SOURCES;DEPS;SMOKE_FILTER" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_DEPS} benchmark::benchmark)
  set_property(GLOBAL APPEND PROPERTY STRIX_BENCHMARKS ${name})
  if(NOT B_SMOKE_FILTER)
    set(B_SMOKE_FILTER ".")
  endif()
  add_test(NAME bench_smoke.${name}
           COMMAND ${name} --benchmark_min_time=0.001 --benchmark_filter=${B_SMOKE_FILTER})
  set_tests_properties(bench_smoke.${name} PROPERTIES LABELS "bench_smoke")
endfunction()

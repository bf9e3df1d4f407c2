// Tier chunks (docs/format/tier_chunk.md): the points of one series in one tier window,
// each point the Aggregate of one bucket of width resolution_ms. A tier chunk is a small
// header followed by one column per Aggregate field, and every column is an ordinary
// sealed chunk (docs/format/chunk.md) whose timestamps are the bucket starts: the chunk
// codecs do the compression, and `strix dump-chunk` can read any single column.
//
// Which columns exist depends on the kind. Fields that carry no information are not
// stored and are rebuilt on decode: covered_ms is always last_ts - first_ts (what
// Aggregate::Add and Merge produce), and resets and wraps are 0 for non-counter kinds.
// Every stored field round-trips exactly (doubles bit for bit). The encoder rejects with
// InvalidArgument any point that the format could not give back unchanged. Per float
// column it keeps the smallest of: the plain gauge chunk, a decimal approximation plus
// ULP residuals (sums of decimal samples), and for min/max a residual from the double of
// first/last (monotonic counters), so encoding costs up to three chunk encodes a column.
//
// Decoding is total on untrusted bytes: any damage is Status::Corruption, nothing is
// read out of bounds, and allocation is bounded by chunk::kMaxSamples points.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/aggregate.h"
#include "storage/model.h"

namespace strix::storage::tier {

// First byte of every tier chunk, then the format version.
inline constexpr uint8_t kTierChunkMagic = 0xA6;
inline constexpr uint8_t kTierChunkVersion = 1;
// Most points one tier chunk may hold (each column is a chunk: chunk::kMaxSamples).
inline constexpr uint32_t kMaxTierPoints = 65535;
// Largest bucket width: 2^40 ms, about 34 years.
inline constexpr int64_t kMaxResolutionMs = int64_t{1} << 40;

// Encodes the points of one series and appends the tier chunk to *out. Requirements
// (InvalidArgument otherwise, and *out is unchanged):
//   kind is numeric (not state); 0 < resolution_ms <= kMaxResolutionMs;
//   1..kMaxTierPoints points, one per bucket start;
//   bucket starts strictly increasing multiples of resolution_ms;
//   every point non-empty (count > 0), with
//     start <= first_ts <= last_ts < start + resolution_ms and
//     covered_ms == last_ts - first_ts;
//   resets == wraps == 0 unless kind is a counter.
Status EncodeTierChunk(ValueKind kind, int64_t resolution_ms,
                       std::span<const Timestamp> bucket_starts, std::span<const Aggregate> points,
                       std::string* out);

// Which fields to decode (a query for avg needs count and sum only). The count is always
// decoded; first_ts goes with first and last_ts with last; min and max also decode first
// and last (they may be stored relative to them). Fields not decoded are left zero.
inline constexpr uint32_t kFieldCount = 1u << 0;
inline constexpr uint32_t kFieldSum = 1u << 1;
inline constexpr uint32_t kFieldMin = 1u << 2;
inline constexpr uint32_t kFieldMax = 1u << 3;
inline constexpr uint32_t kFieldFirst = 1u << 4;
inline constexpr uint32_t kFieldLast = 1u << 5;
inline constexpr uint32_t kFieldIncrease = 1u << 6;
inline constexpr uint32_t kFieldResetsWraps = 1u << 7;
inline constexpr uint32_t kAllFields = 0xff;

// Decodes a tier chunk, replacing the contents of *bucket_starts and *points. Every
// column's framing is checked; the columns selected by `fields` are decoded and checked.
// On error (Corruption) the outputs are left unchanged.
Status DecodeTierChunk(std::string_view bytes, ValueKind* kind, int64_t* resolution_ms,
                       std::vector<Timestamp>* bucket_starts, std::vector<Aggregate>* points,
                       uint32_t fields = kAllFields);

// The columns avg, sum, count, min and max need, without building Aggregates: bucket
// starts, counts, and (when asked for in `fields`) sums, minima and maxima. Empty
// vectors for fields not asked for.
struct BasicColumns {
  std::vector<Timestamp> starts;
  std::vector<uint64_t> count;
  std::vector<double> sum;
  std::vector<double> min;
  std::vector<double> max;
};
Status DecodeTierBasic(std::string_view bytes, uint32_t fields, ValueKind* kind,
                       int64_t* resolution_ms, BasicColumns* out);

}  // namespace strix::storage::tier

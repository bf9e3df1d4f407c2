// Constants of the on-disk index format shared by IndexWriter and IndexReader. The format
// itself is described in docs/format/index.md; change that document first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strix::storage::index::internal {

// "STXI" in file order, read as a little-endian uint32.
inline constexpr uint32_t kIndexMagic = 0x49585453u;
inline constexpr uint8_t kIndexVersion = 1;
inline constexpr size_t kHeaderBytes = 8;  // magic u32, version u8, 3 reserved zero bytes
inline constexpr size_t kCrcBytes = 4;

enum Section : int {
  kSymbols = 0,
  kSeries = 1,
  kSeriesIndex = 2,
  kPostings = 3,
  kLabelTable = 4,
  kNumSections = 5,
};
inline constexpr std::string_view kSectionNames[kNumSections] = {
    "symbols", "series", "series_index", "postings", "label_table"};

// TOC: kNumSections section offsets and the TOC's own offset (u64 each), crc32c of those
// 48 bytes (u32), magic (u32).
inline constexpr size_t kTocBytes = (kNumSections + 1) * 8 + 4 + 4;

// One offset in the series index per this many series.
inline constexpr uint32_t kSeriesGroup = 16;
inline constexpr uint32_t kMaxSeriesGroup = 1u << 16;

// A label table value record: value symbol ref (u32), postings offset (u64).
inline constexpr size_t kValueRecordBytes = 12;

}  // namespace strix::storage::index::internal

// pattoo decoder for the hub: reads a spoke's page (the pattoo JSON object of spec 1.2 /
// 1.11, as served by pattoo_agent_linux_spoked or by a Strix spoke) into Points that the
// agent sends to strixd as line protocol. Pure code, no I/O; simdjson with error codes.
//
// The mapping is strixd's own for pattoo posts (docs/wire/pattoo.md, "Mapping to
// series"), so a datapoint relayed by a Strix hub lands in the same series as the same
// datapoint posted to strixd's pattoo API:
//  * metric name = pattoo_key sanitised as a metric name; labels host (=
//    pattoo_agent_polled_target), pattoo_agent_id, pattoo_agent_hostname,
//    pattoo_agent_polled_target, pattoo_agent_program, pattoo_checksum, and one per
//    metadata key with a string value (the key sanitised as a label name, the value as is);
//    empty values give no label;
//  * pattoo_data_type 101 and 99 -> gauge, 64 and 32 -> counter (the integral part of a
//    non-negative number, exact up to 2^64-1; a fraction is truncated and counted), 2 ->
//    state; null or anything else -> the datapoint is skipped;
//  * the time is the datapoint's pattoo_timestamp (integer ms); a datapoint without one
//    gets `now_ms`.
// strixd names the series of a line-protocol field `<measurement>_<field>`, so each point
// splits the sanitised metric name at its first '_' that is neither its first nor its
// last character: disk_io_read_bytes -> measurement "disk", field "io_read_bytes". A name
// with no such '_' (`uptime`, `load_`) becomes measurement = the name, field "value"
// (series `uptime_value`): the one case where the series name differs from strixd's
// pattoo API. Counter32 (32) arrives as a counter64 series (strixd's pattoo API makes it
// counter32): Point has no 32-bit counter kind.
//
// Structure errors fail the whole page (InvalidArgument naming what is wrong; nothing is
// appended): not JSON, not an object, not exactly the four top-level keys,
// pattoo_datapoints not {key_value_pairs: object, datapoint_pairs: array}, a datapoint
// that is not an array of ids, an id that names no entry of key_value_pairs, an entry
// that is not a [key, value] array. As in pattoo's ingester, a bad datapoint is skipped
// and counted instead; the rules and messages are those of docs/wire/pattoo.md. Pair ids
// are integers, looked up as the decimal key of key_value_pairs ("7", not "007"); a
// repeated JSON key counts once, the last one wins (Python's dict).
//
// Thread-safety: DecodePage is a pure function and may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/common/point.h"
#include "core/status.h"

namespace strix::agents::pattoo {

// Limits a datapoint must keep (those of strixd's labels and states, docs/wire/pattoo.md).
inline constexpr size_t kMaxNameBytes = 4096;      // sanitised metric name
inline constexpr size_t kMaxLabelNameBytes = 128;  // sanitised metadata key
inline constexpr size_t kMaxValueBytes = 4096;     // label value, state string
inline constexpr size_t kMaxMetadataKeys = 64;     // distinct metadata keys
inline constexpr size_t kMaxTags = 63;             // non-empty tags (+ the metric name)
inline constexpr size_t kMaxEncodedLabels = 16 * 1024;

struct DecodeStats {
  uint64_t datapoints = 0;          // entries of datapoint_pairs
  uint64_t skipped = 0;             // datapoints not turned into a point
  uint64_t truncated_counters = 0;  // counter values with a fraction, truncated toward 0
  // Why the first skipped datapoint was skipped (OK when none was):
  // "datapoint 3 (disk_io_read_bytes): pattoo_value string "x" is not a number".
  Status first_error;
};

// Parses `json` and appends one point (one field) per valid datapoint to `out`, in
// page order. `*stats` is reset, then describes the page. A non-OK status is a structure
// error: `out` is left as it was and `*stats` is zeroed.
Status DecodePage(std::string_view json, int64_t now_ms, std::vector<Point>* out,
                  DecodeStats* stats);

// Splits a sanitised metric name into measurement and field as described above.
void SplitMetricName(std::string_view name, std::string* measurement, std::string* field);

}  // namespace strix::agents::pattoo

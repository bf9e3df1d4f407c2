// pattoo encoder: builds the JSON object that pattoo agents post to pattoo's agent API
// ("PostingDataPoints", pattoo spec 1.2) and that a pattoo spoke serves as its page (spec
// 1.11), from the PattooDatapoints an input produced. Pure code, no I/O: the spoke's HTTP
// route (docs/wire/agent-spoke.md) calls EncodePost once per request.
//
// What it writes, as PattooShared 0.0.98 does (spec 1.2 to 1.5):
//  * the four top-level keys pattoo_agent_id, pattoo_agent_polling_interval (an integer, in
//    milliseconds), pattoo_agent_timestamp and pattoo_datapoints, in that (sorted) order;
//  * per datapoint, its pairs in PattooShared's order: the datapoint's own metadata, then
//    pattoo_agent_polling_interval (a string, left out of the checksum),
//    pattoo_agent_hostname, pattoo_agent_id, pattoo_agent_polled_target,
//    pattoo_agent_program, then pattoo_key, pattoo_data_type, pattoo_value,
//    pattoo_timestamp and pattoo_checksum;
//  * pairs de-duplicated across the whole post on (key, JSON-typed value): ids "0", "1", ...
//    in first-seen order, so a pair shared by every datapoint is written once;
//  * pattoo_checksum = the SHA-256 hex chain of spec 1.5 over the key, the data type, every
//    metadata item with checksum=true, and the four agent fields.
// The JSON is compact (Flask's jsonify without pretty printing). Floats are written as
// Python's repr() writes them (shortest text that reads back to the same double, "12.0"
// for an integral value, "1e+16" from 10^16 on), so any JSON reader gets the same number.
// Strings escape '"', '\\' and control characters; other UTF-8 is written as is, and
// invalid UTF-8 is replaced by U+FFFD (the checksum covers the replaced text, i.e. what
// the page shows). key_value_pairs is written in id order (Flask would sort the ids as
// strings: "0", "1", "10", ...; JSON readers do not care).
//
// Datapoints that PattooShared would not accept are left out and counted (see
// EncodePost): an empty key or one containing "pattoo", an unknown data type, a value of
// the wrong type for its data type, a non-finite float. Metadata that DataPoint.add()
// ignores is ignored: an empty key, a key containing "pattoo", a repeated key (the first
// wins). Like TargetDataPoints, a datapoint whose checksum equals an earlier one's is
// dropped as a duplicate.
//
// Thread-safety: all functions are pure and may be called from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agents/common/pattoo_datapoint.h"
#include "core/json_string.h"

namespace strix::agents::pattoo {

// The agent's part of a post. The spoke fills it once per request.
struct PostInfo {
  std::string agent_id;             // 64 lower-case hex digits (NewAgentId, spec 1.8)
  std::string agent_program;        // e.g. "pattoo_agent_linux_spoked"
  std::string agent_hostname;       // the agent host's name (pattoo: socket.getfqdn())
  std::string polled_target;        // the measured host (the linux agent: its own FQDN)
  int64_t polling_interval_ms = 0;  // the interval in milliseconds (seconds x 1000)
  int64_t timestamp_ms = 0;         // when the post was built, ms since the epoch
};

struct EncodeStats {
  uint64_t datapoints = 0;  // datapoints written
  uint64_t invalid = 0;     // left out: PattooShared would refuse them (see the file comment)
  uint64_t duplicates = 0;  // left out: same checksum as an earlier datapoint
};

// The JSON object of spec 1.2 for `dps`, in their order. `stats` may be null.
std::string EncodePost(const PostInfo& info, const std::vector<PattooDatapoint>& dps,
                       EncodeStats* stats = nullptr);

// The agent checksum of spec 1.5 for a datapoint alone: sha256 chain over key + data type,
// then each metadata item with checksum=true. 64 lower-case hex digits.
std::string DatapointChecksum(const PattooDatapoint& dp);
// The checksum as EncodePost writes it: the datapoint's, then the agent fields hostname,
// agent_id, polled_target and program.
std::string DatapointChecksum(const PattooDatapoint& dp, const PostInfo& info);

// A new random agent id: 32 bytes from libsodium's CSPRNG as 64 lower-case hex digits
// (pattoo makes its ids as a SHA-256 hex digest of random input: the same form).
std::string NewAgentId();
// True for exactly 64 lower-case hex digits.
bool IsValidAgentId(std::string_view id);

// JSON text helpers, exposed for tests and for other writers of pattoo JSON.
// Appends `s` as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD.
using ::strix::AppendJsonString;  // core/json_string.h
// Appends a finite double as Python's repr() writes it ("2.7", "12.0", "1e+16", "1e-05").
void AppendPythonFloat(std::string* out, double v);

}  // namespace strix::agents::pattoo

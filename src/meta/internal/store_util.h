// Helpers shared by the MetaStore translation units (meta_store.cc, meta_tokens.cc,
// meta_hosts.cc): argument validation and the few SQL statements more than one of them
// runs. Each function that takes a Connection needs the caller to hold its lock.
//
// Thread-safety: as the Connection passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"
#include "meta/internal/sqlite.h"

namespace strix::meta::internal {

// "meta: store is closed", for calls after Close().
Status ClosedError(const std::string& path);

// InvalidArgument unless `s` is valid UTF-8 of at most `max_bytes` bytes, and not empty
// unless `allow_empty`. `what` names the argument ("host name"); `ctx` is the context.
// The message never repeats `s` (it may be invalid UTF-8).
Status CheckText(std::string_view s, std::string_view what, size_t max_bytes, bool allow_empty,
                 std::string_view ctx = {});

// Inserts the host, or merges the seen times into its row (first = min, last = max).
Status UpsertHostActivity(Connection* conn, std::string_view name, int64_t first_ms,
                          int64_t last_ms);

// The host's row id, inserting a row without seen times if there is none.
Result<int64_t> EnsureHost(Connection* conn, std::string_view name);

}  // namespace strix::meta::internal

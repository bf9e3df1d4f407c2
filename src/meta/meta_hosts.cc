// MetaStore's hosts: activity recorded in memory (TouchHosts) and flushed in batches,
// tags replaced in one transaction, lookups that add unflushed activity. See
// meta_store.h and docs/format/meta.md ("Hosts").
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "meta/internal/sqlite.h"
#include "meta/internal/store_util.h"
#include "meta/meta_store.h"

namespace strix::meta {

using internal::Stmt;
using internal::StmtScope;
using internal::Transaction;

namespace {

Status CheckHostName(std::string_view host) {
  return internal::CheckText(host, "host name", kMaxHostNameBytes, false);
}

// Names the host in a Status context, unless its bytes are not UTF-8.
std::string HostContext(std::string_view host) {
  if (!IsValidUtf8(host)) return "host (not valid UTF-8)";
  return "host \"" + std::string(host) + "\"";
}

}  // namespace

Status MetaStore::TouchHosts(std::span<const HostSeen> seen) {
  std::vector<HostSeen> unknown;  // allocates only when a host is new to this process
  {
    MutexLock h(&hosts_mu_);
    for (const HostSeen& s : seen) {
      auto it = hosts_.find(s.host);
      if (it == hosts_.end()) {
        unknown.push_back(s);
        continue;
      }
      HostActivity& a = it->second;
      if (s.seen_ms > a.last_seen_ms) {
        a.last_seen_ms = s.seen_ms;
        a.dirty = true;
      }
      if (s.seen_ms < a.first_seen_ms) {
        a.first_seen_ms = s.seen_ms;
        a.dirty = true;
      }
    }
  }
  if (unknown.empty()) return Status::Ok();
  return InsertNewHosts(unknown);
}

Status MetaStore::InsertNewHosts(std::span<const HostSeen> hosts) {
  Status invalid;
  std::vector<HostSeen> valid;
  valid.reserve(hosts.size());
  for (const HostSeen& s : hosts) {
    Status st = CheckHostName(s.host);
    if (!st.ok()) {
      if (invalid.ok()) invalid = st;
      continue;
    }
    valid.push_back(s);
  }
  if (valid.empty()) return invalid;
  {
    // Written at once so that host listings show a new host before the next flush.
    MutexLock w(&writer_mu_);
    if (writer_ == nullptr) return internal::ClosedError(path_);
    Transaction txn(writer_.get());
    STRIX_RETURN_IF_ERROR(txn.Begin());
    for (const HostSeen& s : valid) {
      STRIX_RETURN_IF_ERROR(
          internal::UpsertHostActivity(writer_.get(), s.host, s.seen_ms, s.seen_ms));
    }
    STRIX_RETURN_IF_ERROR(txn.Commit());
  }
  MutexLock h(&hosts_mu_);
  for (const HostSeen& s : valid) {
    auto it = hosts_.find(s.host);
    if (it == hosts_.end()) {
      hosts_.emplace(std::string(s.host), HostActivity{s.seen_ms, s.seen_ms, false});
    } else {
      // Another thread added it meanwhile. Both upserts are in the database (it merges
      // with min/max), so the merged values need no flush; a pending one stays pending.
      it->second.first_seen_ms = std::min(it->second.first_seen_ms, s.seen_ms);
      it->second.last_seen_ms = std::max(it->second.last_seen_ms, s.seen_ms);
    }
  }
  return invalid;
}

Status MetaStore::SetHostTags(std::string_view host, const Tags& tags) {
  STRIX_RETURN_IF_ERROR(CheckHostName(host));
  if (tags.size() > kMaxTagsPerHost) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxTagsPerHost) + " tags",
                                   HostContext(host));
  }
  for (const auto& [key, value] : tags) {
    STRIX_RETURN_IF_ERROR(
        internal::CheckText(key, "tag key", kMaxTagKeyBytes, false, HostContext(host)));
    // The key is valid UTF-8 here, so it may appear in the context.
    STRIX_RETURN_IF_ERROR(internal::CheckText(value, "tag value", kMaxTagValueBytes, true,
                                              HostContext(host) + " tag \"" + key + "\""));
  }

  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  internal::Connection* conn = writer_.get();
  Transaction txn(conn);
  STRIX_RETURN_IF_ERROR(txn.Begin());
  STRIX_ASSIGN_OR_RETURN(int64_t host_id, internal::EnsureHost(conn, host));
  {
    STRIX_ASSIGN_OR_RETURN(Stmt * raw, conn->Prepare("DELETE FROM host_tags WHERE host_id = ?1"));
    StmtScope stmt(raw);
    stmt->BindInt64(1, host_id);
    STRIX_RETURN_IF_ERROR(stmt->Run());
  }
  STRIX_ASSIGN_OR_RETURN(
      Stmt * raw, conn->Prepare("INSERT INTO host_tags (host_id, key, value) VALUES (?1, ?2, ?3)"));
  for (const auto& [key, value] : tags) {
    StmtScope stmt(raw);
    stmt->BindInt64(1, host_id);
    stmt->BindText(2, key);
    stmt->BindText(3, value);
    STRIX_RETURN_IF_ERROR(stmt->Run());
  }
  return txn.Commit();
}

void MetaStore::MergeActivity(std::span<Host> hosts) {
  MutexLock h(&hosts_mu_);
  for (Host& host : hosts) {
    auto it = hosts_.find(host.name);
    if (it == hosts_.end()) continue;
    const HostActivity& a = it->second;
    host.first_seen_ms = std::min(host.first_seen_ms.value_or(a.first_seen_ms), a.first_seen_ms);
    host.last_seen_ms = std::max(host.last_seen_ms.value_or(a.last_seen_ms), a.last_seen_ms);
  }
}

Result<Host> MetaStore::GetHost(std::string_view host) {
  Host out;
  {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    // One statement, one snapshot: the host and its tags as of the same commit.
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw, reader_->Prepare("SELECT h.first_seen_ms, h.last_seen_ms, t.key, t.value "
                                     "FROM hosts h LEFT JOIN host_tags t ON t.host_id = h.id "
                                     "WHERE h.name = ?1 ORDER BY t.key"));
    StmtScope stmt(raw);
    stmt->BindText(1, host);
    bool any = false;
    for (;;) {
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      if (!any) {
        out.name = std::string(host);
        out.first_seen_ms = stmt->OptionalInt64(0);
        out.last_seen_ms = stmt->OptionalInt64(1);
        any = true;
      }
      if (!stmt->IsNull(2)) out.tags.emplace(stmt->Text(2), stmt->Text(3));
    }
    if (!any) return Status::NotFound("no such host", HostContext(host));
  }
  MergeActivity(std::span<Host>(&out, 1));
  return out;
}

Result<std::vector<Host>> MetaStore::ListHosts() {
  std::vector<Host> out;
  {
    MutexLock r(&reader_mu_);
    if (reader_ == nullptr) return internal::ClosedError(path_);
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw,
        reader_->Prepare("SELECT h.id, h.name, h.first_seen_ms, h.last_seen_ms, t.key, t.value "
                         "FROM hosts h LEFT JOIN host_tags t ON t.host_id = h.id "
                         "ORDER BY h.name, t.key"));
    StmtScope stmt(raw);
    int64_t current_id = 0;
    for (;;) {
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      int64_t id = stmt->Int64(0);
      if (out.empty() || id != current_id) {
        current_id = id;
        Host& h = out.emplace_back();
        h.name = std::string(stmt->Text(1));
        h.first_seen_ms = stmt->OptionalInt64(2);
        h.last_seen_ms = stmt->OptionalInt64(3);
      }
      if (!stmt->IsNull(4)) out.back().tags.emplace(stmt->Text(4), stmt->Text(5));
    }
  }
  MergeActivity(out);
  return out;
}

Status MetaStore::RemoveHost(std::string_view host) {
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  {
    // Forgotten first, under the writer lock, so that no flush writes it back; a batch
    // arriving after this re-creates it (TouchHosts treats it as new).
    MutexLock h(&hosts_mu_);
    auto it = hosts_.find(host);
    if (it != hosts_.end()) hosts_.erase(it);
  }
  STRIX_ASSIGN_OR_RETURN(Stmt * raw, writer_->Prepare("DELETE FROM hosts WHERE name = ?1"));
  StmtScope stmt(raw);
  stmt->BindText(1, host);
  STRIX_RETURN_IF_ERROR(stmt->Run());  // host_tags rows go by ON DELETE CASCADE
  if (writer_->Changes() == 0) return Status::NotFound("no such host", HostContext(host));
  return Status::Ok();
}

}  // namespace strix::meta

// MetaStore: opening (checks, WAL, migrations, the reader connection), closing, and the
// periodic flush of host and token activity. Tokens are in meta_tokens.cc, hosts in
// meta_hosts.cc. See meta_store.h.
#include "meta/meta_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/log.h"
#include "meta/internal/schema.h"
#include "meta/internal/sqlite.h"
#include "meta/internal/store_util.h"

namespace strix::meta {

using internal::Connection;
using internal::ConnectionOptions;
using internal::Stmt;
using internal::StmtScope;
using internal::Transaction;

MetaStore::MetaStore(std::string path, const MetaStoreOptions& options)
    : path_(std::move(path)),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : Clock::Real()) {}

MetaStore::~MetaStore() {
  Status st = Close();
  if (!st.ok()) STRIX_LOG(kError, "meta: close failed", "path", path_, "error", st);
}

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const std::string& path,
                                                   const MetaStoreOptions& options) {
  if (path.empty()) return Status::InvalidArgument("meta: empty database path");
  STRIX_RETURN_IF_ERROR(InitCrypto());
  std::unique_ptr<MetaStore> store(new MetaStore(path, options));
  STRIX_RETURN_IF_ERROR(store->OpenConnections());
  return store;
}

Status MetaStore::OpenConnections() {
  ConnectionOptions co;
  co.busy_timeout_ms = options_.busy_timeout_ms;
  co.synchronous_full = options_.synchronous_full;
  {
    MutexLock w(&writer_mu_);
    co.create = true;
    STRIX_ASSIGN_OR_RETURN(writer_, Connection::Open(path_, co));
    // Read-only checks first, so another application's database is left untouched.
    STRIX_RETURN_IF_ERROR(internal::CheckSchema(writer_.get()).status());
    if (options_.quick_check_on_open) {
      STRIX_ASSIGN_OR_RETURN(Stmt * raw, writer_->Prepare("PRAGMA quick_check"));
      StmtScope stmt(raw);
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (row && stmt->Text(0) != "ok") {
        // The report lists every bad page; the first lines say enough.
        std::string report(stmt->Text(0).substr(0, 200));
        for (char& c : report) c = c == '\n' ? ';' : c;
        if (stmt->Text(0).size() > report.size()) report += "...";
        return Status::Corruption("meta: database is damaged (PRAGMA quick_check: " + report + ")",
                                  path_);
      }
    }
    {
      STRIX_ASSIGN_OR_RETURN(Stmt * raw, writer_->Prepare("PRAGMA journal_mode = WAL"));
      StmtScope stmt(raw);
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      std::string mode = row ? std::string(stmt->Text(0)) : std::string();
      if (mode != "wal") {
        return Status::FailedPrecondition(
            "meta: cannot switch the database to WAL journal mode (got \"" + mode + "\")", path_);
      }
    }
    STRIX_ASSIGN_OR_RETURN(schema_version_, internal::Migrate(writer_.get()));

    // Hosts that have sent samples: TouchHosts finds them in memory.
    MutexLock h(&hosts_mu_);
    STRIX_ASSIGN_OR_RETURN(
        Stmt * raw,
        writer_->Prepare("SELECT name, first_seen_ms, last_seen_ms FROM hosts "
                         "WHERE first_seen_ms IS NOT NULL AND last_seen_ms IS NOT NULL"));
    StmtScope stmt(raw);
    for (;;) {
      STRIX_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      hosts_.emplace(std::string(stmt->Text(0)),
                     HostActivity{stmt->Int64(1), stmt->Int64(2), false});
    }
  }
  MutexLock r(&reader_mu_);
  co.create = false;
  co.query_only = true;
  STRIX_ASSIGN_OR_RETURN(reader_, Connection::Open(path_, co));
  STRIX_LOG(kDebug, "meta: opened", "path", path_, "schema_version", schema_version_);
  return Status::Ok();
}

Status MetaStore::Close() {
  Status st;
  {
    MutexLock w(&writer_mu_);
    if (writer_ != nullptr) st = FlushActivityLocked();
  }
  {
    MutexLock r(&reader_mu_);
    reader_.reset();
  }
  {
    // Closed last: the last connection of the last process checkpoints the WAL into the
    // database file and removes it.
    MutexLock w(&writer_mu_);
    writer_.reset();
  }
  {
    MutexLock h(&hosts_mu_);
    hosts_.clear();
  }
  {
    MutexLock t(&tokens_mu_);
    token_used_.clear();
  }
  return st;
}

Status MetaStore::FlushActivity() {
  MutexLock w(&writer_mu_);
  if (writer_ == nullptr) return internal::ClosedError(path_);
  return FlushActivityLocked();
}

Status MetaStore::FlushActivityLocked() {
  struct PendingHost {
    std::string name;
    int64_t first_ms;
    int64_t last_ms;
  };
  std::vector<PendingHost> hosts;
  {
    // A scan of every known host: thousands take microseconds, every few seconds.
    MutexLock h(&hosts_mu_);
    for (auto& [name, a] : hosts_) {
      if (!a.dirty) continue;
      hosts.push_back({name, a.first_seen_ms, a.last_seen_ms});
      a.dirty = false;
    }
  }
  std::unordered_map<std::string, int64_t> used;
  {
    MutexLock t(&tokens_mu_);
    used.swap(token_used_);
  }
  if (hosts.empty() && used.empty()) return Status::Ok();

  Connection* conn = writer_.get();
  Status st = [&]() -> Status {
    Transaction txn(conn);
    STRIX_RETURN_IF_ERROR(txn.Begin());
    for (const PendingHost& p : hosts) {
      STRIX_RETURN_IF_ERROR(internal::UpsertHostActivity(conn, p.name, p.first_ms, p.last_ms));
    }
    if (!used.empty()) {
      STRIX_ASSIGN_OR_RETURN(
          Stmt * raw,
          conn->Prepare("UPDATE tokens SET last_used_at_ms = max(coalesce(last_used_at_ms, ?2), "
                        "?2) WHERE id = ?1"));
      for (const auto& [id, ms] : used) {
        StmtScope stmt(raw);
        stmt->BindText(1, id);
        stmt->BindInt64(2, ms);
        STRIX_RETURN_IF_ERROR(stmt->Run());
      }
    }
    return txn.Commit();
  }();
  if (st.ok()) return st;

  // Keep everything pending for the next flush. The in-memory values can only have moved
  // further (min/max), so marking the hosts dirty again is enough.
  {
    MutexLock h(&hosts_mu_);
    for (const PendingHost& p : hosts) {
      auto it = hosts_.find(p.name);
      if (it != hosts_.end()) it->second.dirty = true;
    }
  }
  {
    MutexLock t(&tokens_mu_);
    for (const auto& [id, ms] : used) {
      auto [it, inserted] = token_used_.try_emplace(id, ms);
      if (!inserted) it->second = std::max(it->second, ms);
    }
  }
  return st;
}

}  // namespace strix::meta

// strix: the admin tool.
//   strix check-config <strixd.yaml>          the server's own loading and validation
//   strix token create --name N --scope S     a new API token, printed once
//   strix token list | revoke <id>
//   strix user add <name> [--role viewer|editor|admin | --admin]   password from stdin
//   strix user passwd <name> | list | role <name> <role> | disable | enable | delete <name>
//   strix dump-wal <data-dir>                 every WAL record, and where a torn tail starts
//   strix dump-block <data-dir> <seq|file>    a block's meta, series and chunk references
//   strix verify <data-dir>                   checks every block (CRCs, chunks, index) and the WAL
//   strix simulate [--hosts N --days D ...]   deterministic test data into a running strixd
//   strix wipe --data-dir D [--yes]           erases a data directory, after confirmation
// A data-dir is strixd's (holding storage/) or the storage directory itself.
// Exit status: 0 when fine, 1 when a check found damage or a command failed, 2 on usage
// errors. Only the token and user commands write (to the metadata database), simulate
// writes through strixd's HTTP API, and wipe deletes.
#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "admin.h"
#include "core/env.h"
#include "simulate.h"
#include "storage/block/block.h"
#include "storage/chunk/decoder.h"
#include "storage/tier/tier_chunk.h"
#include "storage/wal/dump.h"
#include "storage/wal/reader.h"
#include "wipe.h"

namespace strix {
namespace {

using storage::block::Block;

int DumpWal(const std::string& dir) {
  std::string wal_dir = JoinPath(dir, "wal");
  if (!Env::Default().FileExists(wal_dir)) wal_dir = dir;  // given the wal folder itself
  Status s = storage::wal::Dump(Env::Default(), wal_dir, [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  });
  if (!s.ok()) {
    std::fprintf(stderr, "strix dump-wal: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

bool ParseSeq(const std::string& arg, uint64_t* seq) {
  std::string name = arg.substr(arg.rfind('/') == std::string::npos ? 0 : arg.rfind('/') + 1);
  if (storage::block::ParseBlockFileName(name, seq)) return true;
  char* end = nullptr;
  *seq = std::strtoull(arg.c_str(), &end, 16);
  return end != nullptr && *end == '\0' && !arg.empty();
}

int DumpBlock(const std::string& dir, const std::string& which, bool samples) {
  uint64_t seq;
  if (!ParseSeq(which, &seq)) {
    std::fprintf(
        stderr,
        "strix dump-block: expected a block sequence number (hex) or file name, got \"%s\"\n",
        which.c_str());
    return 2;
  }
  auto b = Block::Open(Env::Default(), JoinPath(dir, "blocks"), seq);
  if (!b.ok()) {
    std::fprintf(stderr, "strix dump-block: %s\n", b.status().ToString().c_str());
    return 1;
  }
  const auto& m = (*b)->meta();
  std::printf("block %s\n  precedence=%" PRIu64 " resolution_ms=%" PRId64 " level=%u\n",
              storage::block::BlockFileName(m.seq).c_str(), m.precedence, m.resolution_ms, m.level);
  std::printf("  window=[%" PRId64 ", %" PRId64 ") mint=%" PRId64 " maxt=%" PRId64 "\n",
              m.window_start, m.window_end, m.mint, m.maxt);
  std::printf(
      "  series=%" PRIu64 " chunks=%" PRIu64 " samples=%" PRIu64 " pages=%" PRIu64 " bytes=%" PRIu64
      " bytes/sample=%.3f\n",
      m.series, m.chunks, m.samples, m.pages, (*b)->file_bytes(),
      m.samples ? static_cast<double>((*b)->file_bytes()) / static_cast<double>(m.samples) : 0.0);
  if (!m.sources.empty()) {
    std::printf("  sources:");
    for (uint64_t s : m.sources) std::printf(" %016" PRIx64, s);
    std::printf("\n");
  }
  storage::block::PageCache cache;
  for (uint32_t pos = 0; pos < (*b)->index().num_series(); ++pos) {
    storage::Labels labels;
    storage::ValueKind kind;
    std::vector<storage::block::ChunkRef> refs;
    Status s = (*b)->SeriesAt(pos, &labels, &kind, &refs);
    if (!s.ok()) {
      std::fprintf(stderr, "strix dump-block: series %u: %s\n", pos, s.ToString().c_str());
      return 1;
    }
    std::printf("%s %s\n", labels.ToString().c_str(), std::string(ValueKindName(kind)).c_str());
    for (const auto& r : refs) {
      std::printf("  chunk [%" PRId64 ", %" PRId64 "] page=%u offset=%u length=%u\n", r.mint,
                  r.maxt, r.page, r.offset, r.length);
      if (!samples) continue;
      auto bytes = (*b)->ChunkBytes(r, &cache);
      if (!bytes.ok()) {
        std::fprintf(stderr, "strix dump-block: %s\n", bytes.status().ToString().c_str());
        return 1;
      }
      if (m.resolution_ms > 0 && kind != storage::ValueKind::kState) {
        // A tier chunk: one line per point.
        storage::ValueKind k;
        int64_t res;
        std::vector<storage::Timestamp> starts;
        std::vector<storage::Aggregate> points;
        Status st = storage::tier::DecodeTierChunk(*bytes, &k, &res, &starts, &points);
        if (!st.ok()) {
          std::fprintf(stderr, "strix dump-block: %s\n", st.ToString().c_str());
          return 1;
        }
        for (size_t i = 0; i < starts.size(); ++i) {
          const storage::Aggregate& a = points[i];
          std::printf("    %" PRId64 " count=%" PRIu64
                      " sum=%.17g min=%.17g max=%.17g first=%.17g@%" PRId64 " last=%.17g@%" PRId64
                      " increase=%.17g resets=%u wraps=%u\n",
                      starts[i], a.count, a.sum, a.min, a.max, storage::ToDouble(k, a.first),
                      a.first_ts, storage::ToDouble(k, a.last), a.last_ts,
                      k == storage::ValueKind::kDerive ? static_cast<double>(a.increase.i)
                      : storage::IsIntegerKind(k)      ? static_cast<double>(a.increase.u)
                                                       : a.increase.f,
                      a.resets, a.wraps);
        }
        continue;
      }
      storage::chunk::Iterator it(*bytes);
      while (it.Next()) {
        if (kind == storage::ValueKind::kState) {
          std::printf("    %" PRId64 " \"%s\"\n", it.timestamp(), std::string(it.state()).c_str());
        } else if (storage::IsFloatKind(kind)) {
          std::printf("    %" PRId64 " %.17g\n", it.timestamp(), it.value().f);
        } else if (kind == storage::ValueKind::kDerive) {
          std::printf("    %" PRId64 " %" PRId64 "\n", it.timestamp(), it.value().i);
        } else {
          std::printf("    %" PRId64 " %" PRIu64 "\n", it.timestamp(), it.value().u);
        }
      }
      if (!it.status().ok()) {
        std::fprintf(stderr, "strix dump-block: %s\n", it.status().ToString().c_str());
        return 1;
      }
    }
  }
  for (uint32_t pos = 0; pos < (*b)->index().num_series(); ++pos) {
    for (const auto& t : (*b)->TombstonesOf(pos))
      std::printf("tombstone series=%u [%" PRId64 ", %" PRId64 ")\n", t.series, t.from, t.to);
  }
  return 0;
}

int Verify(const std::string& dir) {
  Env& env = Env::Default();
  int bad = 0;
  std::string blocks = JoinPath(dir, "blocks");
  auto names = env.ListDir(blocks);
  if (!names.ok()) {
    std::fprintf(stderr, "strix verify: %s\n", names.status().ToString().c_str());
    return 1;
  }
  size_t checked = 0;
  for (const auto& n : *names) {
    uint64_t seq;
    if (!storage::block::ParseBlockFileName(n, &seq)) continue;
    auto b = Block::Open(env, blocks, seq);
    Status s = b.ok() ? (*b)->Verify() : b.status();
    ++checked;
    if (!s.ok()) {
      std::printf("block %s: %s\n", n.c_str(), s.ToString().c_str());
      ++bad;
    } else {
      std::printf("block %s: ok (%" PRIu64 " series, %" PRIu64 " samples)\n", n.c_str(),
                  (*b)->meta().series, (*b)->meta().samples);
    }
  }
  std::string wal_dir = JoinPath(dir, "wal");
  if (env.FileExists(wal_dir)) {
    storage::wal::ReadOptions ro;
    ro.on_corruption = storage::wal::CorruptionPolicy::kFail;
    auto r = storage::wal::Reader::Open(env, wal_dir, ro);
    if (!r.ok()) {
      std::printf("wal: %s\n", r.status().ToString().c_str());
      ++bad;
    } else {
      storage::wal::RecordView rec;
      uint64_t records = 0;
      while ((*r)->Next(&rec)) ++records;
      if (!(*r)->status().ok()) {
        std::printf("wal: %s\n", (*r)->status().ToString().c_str());
        ++bad;
      } else if ((*r)->damage()) {
        std::printf("wal: %" PRIu64 " records, then %s\n", records,
                    (*r)->damage()->ToString().c_str());
        // A torn tail is expected after a crash and repaired at open; say so, not fail.
        if ((*r)->damage()->kind != storage::wal::Damage::Kind::kTornTail) ++bad;
      } else {
        std::printf("wal: ok (%" PRIu64 " records)\n", records);
      }
    }
  }
  std::printf("%zu blocks checked, %d problems\n", checked, bad);
  return bad == 0 ? 0 : 1;
}

}  // namespace
}  // namespace strix

int main(int argc, char** argv) {
  CLI::App app{"strix: the Strix admin tool"};
  app.require_subcommand(1);
  std::string dir, which;
  bool samples = false;
  auto* dw = app.add_subcommand("dump-wal", "Print every record of a data directory's WAL");
  dw->add_option("data-dir", dir, "strixd data directory (or its wal/ folder)")->required();
  auto* db = app.add_subcommand("dump-block", "Print a block's meta, series and chunks");
  db->add_option("data-dir", dir, "strixd data directory")->required();
  db->add_option("block", which, "block sequence number (hex) or file name")->required();
  db->add_flag("--samples", samples, "also decode and print every sample");
  auto* vf =
      app.add_subcommand("verify", "Check every checksum, chunk and index of a data directory");
  vf->add_option("data-dir", dir, "strixd data directory")->required();

  std::string config_file;
  auto* cc = app.add_subcommand("check-config", "Validate a strixd.yaml (errors with file:line)");
  cc->add_option("file", config_file, "strixd.yaml")->required();

  strix::tools::MetaLocation loc;
  std::string name, scopes, expires, token_id;
  auto* tok = app.add_subcommand("token", "Manage API tokens (stored hashed)");
  tok->require_subcommand(1);
  tok->fallthrough();  // --config/--data-dir may follow create, list or revoke
  for (CLI::App* sub : {static_cast<CLI::App*>(tok)}) {
    sub->add_option("-c,--config", loc.config_path, "strixd.yaml, to find the metadata database");
    sub->add_option("-d,--data-dir", loc.data_dir, "strixd data directory (default ./var)");
  }
  auto* tc =
      tok->add_subcommand("create", "Create a token and print it (the only time it is shown)");
  tc->add_option("--name", name, "what the token is for, e.g. 'agent web-01'")->required();
  tc->add_option("--scope", scopes, "comma-separated: ingest, read, admin (admin implies read)")
      ->required();
  tc->add_option("--expires", expires, "lifetime, e.g. 90d (default: never expires)");
  auto* tl = tok->add_subcommand("list", "List tokens (never their secrets)");
  auto* tr = tok->add_subcommand("revoke", "Revoke a token by its id");
  tr->add_option("id", token_id, "the token id (see token list)")->required();
  std::string user_name, role = "viewer";
  bool admin = false;
  auto* usr = app.add_subcommand("user", "Manage dashboard users (argon2id password hashes)");
  usr->require_subcommand(1);
  usr->fallthrough();
  usr->add_option("-c,--config", loc.config_path, "strixd.yaml, to find the metadata database");
  usr->add_option("-d,--data-dir", loc.data_dir, "strixd data directory (default ./var)");
  auto* ua = usr->add_subcommand(
      "add", "Create a user; the password is read from standard input (twice on a terminal)");
  ua->add_option("name", user_name, "user name: letters, digits and . _ @ -")->required();
  auto* role_opt = ua->add_option("--role", role, "viewer (default), editor or admin");
  ua->add_flag("--admin", admin, "the same as --role admin")->excludes(role_opt);
  auto* up = usr->add_subcommand("passwd", "Set a user's password (read from standard input)");
  up->add_option("name", user_name, "user name")->required();
  auto* ul = usr->add_subcommand("list", "List users (never their password hashes)");
  std::string new_role;
  auto* ur = usr->add_subcommand("role", "Change a user's role (holds from its next request)");
  ur->add_option("name", user_name, "user name")->required();
  ur->add_option("role", new_role, "viewer, editor or admin")->required();
  auto* ud = usr->add_subcommand("disable", "Disable a user and end its sessions");
  ud->add_option("name", user_name, "user name")->required();
  auto* ue = usr->add_subcommand("enable", "Enable a disabled user again");
  ue->add_option("name", user_name, "user name")->required();
  auto* ux = usr->add_subcommand("delete", "Delete a user and its sessions");
  ux->add_option("name", user_name, "user name")->required();

  strix::tools::SimulateOptions so;
  auto* sim = app.add_subcommand(
      "simulate", "Fill a running strixd with deterministic test data (docs/simulate.md)");
  sim->add_option("--url", so.url, "strixd's base URL")->capture_default_str();
  sim->add_option("--token", so.token, "API token with scopes ingest and admin");
  sim->add_option("--token-file", so.token_file, "file whose first line is the token");
  sim->add_option("--hosts", so.hosts, "hosts <prefix>0 .. <prefix>N-1")->capture_default_str();
  sim->add_option("--days", so.days, "days of data before --end (fractions allowed)")
      ->capture_default_str();
  sim->add_option("--per-hour", so.per_hour, "samples per series per hour (1 to 3600)")
      ->capture_default_str();
  sim->add_option("--seed", so.seed, "seed of the random numbers")->capture_default_str();
  sim->add_option("--end", so.end_s,
                  "end of the run in unix seconds, exclusive (default now; aligned down to the "
                  "step)");
  sim->add_option("--prefix", so.prefix, "host name prefix")->capture_default_str();
  sim->add_option("--connections", so.connections, "requests in flight")->capture_default_str();
  sim->add_option("--body-mib", so.body_mib, "line protocol per request before gzip, MiB")
      ->capture_default_str();
  sim->add_option("--timeout", so.timeout_s, "seconds per request")->capture_default_str();

  strix::tools::WipeOptions wo;
  auto* wipe =
      app.add_subcommand("wipe", "Erase a Strix data directory (asks for its name unless --yes)");
  wipe->add_option("--data-dir", wo.data_dir, "the strixd data directory to erase")->required();
  wipe->add_flag("--yes", wo.yes, "do not ask (for scripts)");
  CLI11_PARSE(app, argc, argv);
  if (sim->parsed()) return strix::tools::Simulate(so);
  if (wipe->parsed()) return strix::tools::Wipe(wo);
  if (ua->parsed()) return strix::tools::UserAdd(loc, user_name, admin ? "admin" : role);
  if (up->parsed()) return strix::tools::UserPasswd(loc, user_name);
  if (ul->parsed()) return strix::tools::UserList(loc);
  if (ur->parsed()) return strix::tools::UserRole(loc, user_name, new_role);
  if (ud->parsed()) return strix::tools::UserDisable(loc, user_name, true);
  if (ue->parsed()) return strix::tools::UserDisable(loc, user_name, false);
  if (ux->parsed()) return strix::tools::UserDelete(loc, user_name);
  if (cc->parsed()) return strix::tools::CheckConfig(config_file);
  if (tc->parsed()) return strix::tools::TokenCreate(loc, name, scopes, expires);
  if (tl->parsed()) return strix::tools::TokenList(loc);
  if (tr->parsed()) return strix::tools::TokenRevoke(loc, token_id);
  // A strixd data directory holds the storage in storage/.
  if (!dir.empty() && strix::Env::Default().FileExists(strix::JoinPath(dir, "storage/wal"))) {
    dir = strix::JoinPath(dir, "storage");
  }
  if (dw->parsed()) return strix::DumpWal(dir);
  if (db->parsed()) return strix::DumpBlock(dir, which, samples);
  if (vf->parsed()) return strix::Verify(dir);
  return 2;
}

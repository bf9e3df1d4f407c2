// strix wipe: erases a Strix data directory (storage, metadata database, log, pid file),
// the successor of the Python system's wipeout.py (spec A12), without its defects: it
// never crashes on a failure, says what it will delete before it does, and refuses
//   * a directory that does not look like Strix's (docs/simulate.md, "strix wipe"),
//     including one that holds files strixd does not make;
//   * a directory a running strixd holds: the storage engine's and the WAL's LOCK files
//     are flock'ed while strixd runs (the tool tries the same lock, it does not merely look
//     for the file), and so is strixd.pid under --start;
//   * without confirmation: the directory's base name typed on standard input, or --yes.
// The locks taken for the check are held until the deletion is done, so a strixd started
// meanwhile cannot open the directory.
//
// Thread-safety: a command; call from main().
#pragma once

#include <string>

namespace strix::tools {

struct WipeOptions {
  std::string data_dir;
  bool yes = false;  // skip the typed confirmation (scripts)
};

// 0 when deleted; 1 when refused or failed (with the reason on standard error).
int Wipe(const WipeOptions& opts);

}  // namespace strix::tools

// FaultyEnv implementation. The base Env always holds the current namespace (names as
// the running process sees them) and, in each file, exactly the synced bytes; everything
// else lives here: per-file pending bytes (Node), the durable namespace of directories
// with unsynced changes (durable_), and the injected faults. SimulateCrash rewrites the
// base Env into a state the machine could have after a power cut and forgets the rest.
//
// The base files are written on Sync but never fsynced themselves: the crash is simulated,
// the real disk's durability is irrelevant to it, and skipping fdatasync keeps loops that
// crash at every sync point fast.
#include "core/testing/faulty_env.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace strix::testing {
namespace {

constexpr uint64_t kSectorBytes = 512;

bool Matches(const std::string& filter, const std::string& path) {
  return filter.empty() || path.find(filter) != std::string::npos;
}

Status Down(const std::string& path) {
  return Status::Aborted("simulated power loss: I/O refused until SimulateCrash()", path);
}

// "dir/" -> "dir", the spelling DirName() gives.
std::string DirKey(const std::string& path) {
  std::string key = path;
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key;
}

class StringRegion final : public ReadOnlyRegion {
 public:
  explicit StringRegion(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(FaultyEnv* env, uint64_t id, uint64_t generation, std::string path,
                     uint64_t size)
      : env_(env), id_(id), generation_(generation), path_(std::move(path)), size_(size) {}

  Status Append(std::string_view data) override {
    if (closed_) return Status::FailedPrecondition("append to a closed file", path_);
    return env_->Append(id_, generation_, path_, data, &size_);
  }
  Status Sync() override {
    if (closed_) return Status::FailedPrecondition("sync of a closed file", path_);
    return env_->Sync(id_, generation_, path_);
  }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    return env_->CheckHandle(generation_, path_);
  }
  uint64_t Size() const override { return size_; }

 private:
  FaultyEnv* const env_;
  const uint64_t id_;
  const uint64_t generation_;
  const std::string path_;
  uint64_t size_;
  bool closed_ = false;
};

class FaultyRandomAccessFile final : public RandomAccessFile {
 public:
  FaultyRandomAccessFile(FaultyEnv* env, uint64_t id, uint64_t generation, std::string path,
                         std::unique_ptr<RandomAccessFile> base)
      : env_(env),
        id_(id),
        generation_(generation),
        path_(std::move(path)),
        base_(std::move(base)) {}

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    return env_->ReadAt(id_, generation_, path_, *base_, offset, n, scratch);
  }
  Result<uint64_t> Size() const override { return env_->ReadSize(id_, generation_, path_); }

 private:
  FaultyEnv* const env_;
  const uint64_t id_;
  const uint64_t generation_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
};

// The base lock lives in FaultyEnv::locks_ so that a crash can release it.
class FaultyFileLock final : public FileLock {
 public:
  FaultyFileLock(FaultyEnv* env, uint64_t key) : env_(env), key_(key) {}
  ~FaultyFileLock() override { env_->ReleaseLock(key_); }

 private:
  FaultyEnv* const env_;
  const uint64_t key_;
};

FaultyEnv::FaultyEnv(Env& base, uint64_t seed) : base_(base), rng_(seed) {}

FaultyEnv::~FaultyEnv() = default;

// ---- Handles ----

Status FaultyEnv::HandleStatus(uint64_t generation, const std::string& path) const {
  if (generation != generation_)
    return Status::FailedPrecondition("file handle opened before a simulated crash", path);
  if (crashed_) return Down(path);
  return Status::Ok();
}

Status FaultyEnv::CheckHandle(uint64_t generation, const std::string& path) {
  MutexLock lock(&mu_);
  return HandleStatus(generation, path);
}

Status FaultyEnv::Append(uint64_t id, uint64_t generation, const std::string& path,
                         std::string_view data, uint64_t* size) {
  MutexLock lock(&mu_);
  STRIX_RETURN_IF_ERROR(HandleStatus(generation, path));
  Node& node = nodes_.at(id);
  if (write_fault_.countdown > 0 && Matches(write_fault_.filter, path)) {
    if (--write_fault_.countdown == 0) return Status::FromErrno(write_fault_.err, "write", path);
  }
  std::string_view stored = data;
  Status status;
  if (space_left_.has_value() && Matches(space_filter_, path)) {
    if (stored.size() > *space_left_) {
      stored = stored.substr(0, *space_left_);
      status = Status::FromErrno(ENOSPC, "write", path);
    }
    *space_left_ -= stored.size();
  }
  node.pending.append(stored);
  ++append_count_;
  bytes_appended_ += stored.size();
  *size = node.synced + node.pending.size();
  return status;
}

Status FaultyEnv::Sync(uint64_t id, uint64_t generation, const std::string& path) {
  MutexLock lock(&mu_);
  STRIX_RETURN_IF_ERROR(HandleStatus(generation, path));
  STRIX_RETURN_IF_ERROR(CountSync(path));
  if (sync_fault_.err != 0 && Matches(sync_fault_.filter, path))
    return Status::FromErrno(sync_fault_.err, "fdatasync", path);
  return WriteThrough(nodes_.at(id));
}

Result<size_t> FaultyEnv::ReadAt(uint64_t id, uint64_t generation, const std::string& path,
                                 const RandomAccessFile& base, uint64_t offset, size_t n,
                                 char* scratch) {
  MutexLock lock(&mu_);
  STRIX_RETURN_IF_ERROR(HandleStatus(generation, path));
  const Node& node = nodes_.at(id);
  uint64_t total = node.synced + node.pending.size();
  if (offset >= total) return size_t{0};
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, total - offset));
  size_t done = 0;
  if (offset < node.synced) {
    size_t from_base = static_cast<size_t>(std::min<uint64_t>(want, node.synced - offset));
    STRIX_ASSIGN_OR_RETURN(size_t got, base.ReadAt(offset, from_base, scratch));
    if (got != from_base) return Status::Internal("base file shorter than its synced size", path);
    done = from_base;
  }
  if (done < want) {
    std::memcpy(scratch + done, node.pending.data() + (offset + done - node.synced), want - done);
  }
  return want;
}

Result<uint64_t> FaultyEnv::ReadSize(uint64_t id, uint64_t generation, const std::string& path) {
  MutexLock lock(&mu_);
  STRIX_RETURN_IF_ERROR(HandleStatus(generation, path));
  const Node& node = nodes_.at(id);
  return node.synced + node.pending.size();
}

void FaultyEnv::ReleaseLock(uint64_t key) {
  MutexLock lock(&mu_);
  locks_.erase(key);
}

// ---- Internals ----

Status FaultyEnv::CountSync(const std::string& path) {
  ++sync_count_;
  if (crash_at_sync_ != 0 && sync_count_ == crash_at_sync_) {
    crashed_ = true;
    return Status::Aborted("simulated power loss at this sync", path);
  }
  return Status::Ok();
}

uint64_t FaultyEnv::NodeFor(const std::string& path) {
  auto it = ids_.find(path);
  if (it != ids_.end()) return it->second;
  Result<uint64_t> size = base_.FileSize(path);
  if (!size.ok() || base_.ListDir(path).ok()) return 0;  // missing, or a directory
  uint64_t id = next_id_++;
  Node& node = nodes_[id];
  node.path = path;
  node.synced = *size;  // a file that existed before we saw it is all durable
  ids_[path] = id;
  return id;
}

void FaultyEnv::NoteDirChange(const std::string& path) {
  std::map<std::string, uint64_t>& entries = durable_[DirName(path)];
  if (entries.count(path) == 0) entries[path] = NodeFor(path);
}

bool FaultyEnv::DurablyReferenced(uint64_t id) const {
  for (const auto& [dir, entries] : durable_) {
    for (const auto& [path, node] : entries) {
      if (node == id) return true;
    }
  }
  return false;
}

Status FaultyEnv::PrepareUnlink(uint64_t id) {
  Node& node = nodes_.at(id);
  if (DurablyReferenced(id) && !node.saved.has_value()) {
    STRIX_ASSIGN_OR_RETURN(node.saved, ReadBase(node.path, node.synced));
  }
  return Status::Ok();
}

void FaultyEnv::Unlinked(uint64_t id) {
  Node& node = nodes_.at(id);
  ids_.erase(node.path);
  node.path.clear();
}

Status FaultyEnv::WriteBase(const std::string& path, std::string_view data) {
  STRIX_ASSIGN_OR_RETURN(auto file, base_.NewAppendableFile(path));
  Status status = file->Append(data);
  Status closed = file->Close();
  return status.ok() ? closed : status;
}

Status FaultyEnv::WriteThrough(Node& node) {
  // Bytes synced into a file that lost its name are not revived by a crash (no engine
  // writes to a file it removed); they stay readable through open handles until then.
  if (node.path.empty() || node.pending.empty()) return Status::Ok();
  STRIX_RETURN_IF_ERROR(WriteBase(node.path, node.pending));
  node.synced += node.pending.size();
  node.pending.clear();
  return Status::Ok();
}

Result<std::string> FaultyEnv::ReadBase(const std::string& path, uint64_t size) {
  STRIX_ASSIGN_OR_RETURN(auto file, base_.NewRandomAccessFile(path));
  std::string bytes(size, '\0');
  STRIX_ASSIGN_OR_RETURN(size_t got, file->ReadAt(0, size, bytes.data()));
  if (got != size) return Status::Internal("base file shorter than its synced size", path);
  return bytes;
}

uint64_t FaultyEnv::NextRandom() {
  // splitmix64: the same sequence on every platform (std distributions are not).
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string FaultyEnv::CrashedBytes(const Node& node, const CrashOptions& options) {
  const std::string& pending = node.pending;
  CrashMode mode = options.mode;
  if (mode == CrashMode::kMixed) mode = static_cast<CrashMode>(NextRandom() % 3);
  switch (mode) {
    case CrashMode::kTear: {
      std::string out = pending.substr(0, NextRandom() % (pending.size() + 1));
      if (options.lose_sectors) {
        // Whole sectors inside [start, end), by file offset, except the last whole one.
        uint64_t start = node.synced;
        uint64_t end = node.synced + out.size();
        for (uint64_t s = (start + kSectorBytes - 1) / kSectorBytes; (s + 2) * kSectorBytes <= end;
             ++s) {
          if (NextRandom() % 4 == 0) std::memset(&out[s * kSectorBytes - start], 0, kSectorBytes);
        }
      }
      return out;
    }
    case CrashMode::kGarble: {
      size_t len =
          options.garble_random_length ? NextRandom() % (2 * pending.size() + 1) : pending.size();
      std::string out(len, '\0');
      for (size_t i = 0; i < len; i += 8) {
        uint64_t r = NextRandom();
        std::memcpy(&out[i], &r, std::min<size_t>(8, len - i));
      }
      return out;
    }
    case CrashMode::kDrop:
    case CrashMode::kMixed:
      break;
  }
  return {};
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::OpenWritable(const std::string& path,
                                                              bool truncate) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  uint64_t id = NodeFor(path);
  if (id != 0) {
    if (truncate) {
      STRIX_RETURN_IF_ERROR(base_.TruncateFile(path, 0));
      nodes_.at(id).synced = 0;
      nodes_.at(id).pending.clear();
    }
  } else {
    NoteDirChange(path);
    STRIX_ASSIGN_OR_RETURN(auto created, base_.NewWritableFile(path));
    STRIX_RETURN_IF_ERROR(created->Close());
    id = next_id_++;
    nodes_[id].path = path;
    ids_[path] = id;
  }
  const Node& node = nodes_.at(id);
  return std::unique_ptr<WritableFile>(std::make_unique<FaultyWritableFile>(
      this, id, generation_, path, node.synced + node.pending.size()));
}

// ---- Env ----

Result<std::unique_ptr<WritableFile>> FaultyEnv::NewWritableFile(const std::string& path) {
  return OpenWritable(path, /*truncate=*/true);
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::NewAppendableFile(const std::string& path) {
  return OpenWritable(path, /*truncate=*/false);
}

Result<std::unique_ptr<RandomAccessFile>> FaultyEnv::NewRandomAccessFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  STRIX_ASSIGN_OR_RETURN(auto base, base_.NewRandomAccessFile(path));
  uint64_t id = NodeFor(path);
  if (id == 0) return base;  // a directory: nothing to model
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<FaultyRandomAccessFile>(this, id, generation_, path, std::move(base)));
}

Result<std::unique_ptr<ReadOnlyRegion>> FaultyEnv::MapReadOnly(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  uint64_t id = NodeFor(path);
  if (id == 0 || nodes_.at(id).pending.empty()) return base_.MapReadOnly(path);
  const Node& node = nodes_.at(id);
  STRIX_ASSIGN_OR_RETURN(std::string bytes, ReadBase(path, node.synced));
  bytes += node.pending;
  return std::unique_ptr<ReadOnlyRegion>(std::make_unique<StringRegion>(std::move(bytes)));
}

bool FaultyEnv::FileExists(const std::string& path) { return base_.FileExists(path); }

Result<uint64_t> FaultyEnv::FileSize(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  uint64_t id = NodeFor(path);
  if (id == 0) return base_.FileSize(path);
  const Node& node = nodes_.at(id);
  return node.synced + node.pending.size();
}

Result<std::vector<std::string>> FaultyEnv::ListDir(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  return base_.ListDir(path);
}

Status FaultyEnv::CreateDirs(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  return base_.CreateDirs(path);
}

Status FaultyEnv::RemoveFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  uint64_t id = NodeFor(path);
  if (id == 0) return base_.RemoveFile(path);  // missing or a directory: the base says why
  NoteDirChange(path);
  STRIX_RETURN_IF_ERROR(PrepareUnlink(id));
  STRIX_RETURN_IF_ERROR(base_.RemoveFile(path));
  Unlinked(id);
  return Status::Ok();
}

Status FaultyEnv::RemoveDir(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  return base_.RemoveDir(path);
}

Status FaultyEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(from + " -> " + to);
  uint64_t id = NodeFor(from);
  // Missing (the base reports it), a directory (not modelled) or a no-op.
  if (id == 0 || from == to) return base_.RenameFile(from, to);
  NoteDirChange(from);
  NoteDirChange(to);
  uint64_t replaced = NodeFor(to);
  if (replaced != 0) STRIX_RETURN_IF_ERROR(PrepareUnlink(replaced));
  STRIX_RETURN_IF_ERROR(base_.RenameFile(from, to));
  if (replaced != 0) Unlinked(replaced);
  ids_.erase(from);
  ids_[to] = id;
  nodes_.at(id).path = to;
  return Status::Ok();
}

Status FaultyEnv::SyncDir(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  STRIX_RETURN_IF_ERROR(CountSync(path));
  STRIX_RETURN_IF_ERROR(base_.ListDir(path).status());  // a missing directory fails as it should
  durable_.erase(DirKey(path));
  // Bytes kept for names that no crash can bring back any more.
  for (auto& [id, node] : nodes_) {
    if (node.path.empty() && node.saved.has_value() && !DurablyReferenced(id)) node.saved.reset();
  }
  return Status::Ok();
}

Status FaultyEnv::TruncateFile(const std::string& path, uint64_t size) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  uint64_t id = NodeFor(path);
  if (id == 0) return base_.TruncateFile(path, size);
  Node& node = nodes_.at(id);
  if (size <= node.synced) {
    STRIX_RETURN_IF_ERROR(base_.TruncateFile(path, size));
    node.synced = size;
    node.pending.clear();
  } else {
    node.pending.resize(size - node.synced, '\0');  // cut, or extend with zeros
  }
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> FaultyEnv::LockFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  STRIX_ASSIGN_OR_RETURN(auto base_lock, base_.LockFile(path));
  uint64_t key = next_lock_++;
  locks_[key] = std::move(base_lock);
  return std::unique_ptr<FileLock>(std::make_unique<FaultyFileLock>(this, key));
}

Result<DiskSpace> FaultyEnv::GetDiskSpace(const std::string& path) {
  MutexLock lock(&mu_);
  if (crashed_) return Down(path);
  STRIX_ASSIGN_OR_RETURN(DiskSpace space, base_.GetDiskSpace(path));
  if (space_left_.has_value())
    space.available_bytes = std::min(space.available_bytes, *space_left_);
  return space;
}

// ---- Crash simulation ----

Status FaultyEnv::SimulateCrash(CrashMode mode) {
  CrashOptions options;
  options.mode = mode;
  return SimulateCrash(options);
}

Status FaultyEnv::SimulateCrash(const CrashOptions& options) {
  MutexLock lock(&mu_);
  // 1. Unsynced bytes of every file that has a name, in path order so that the random
  //    choices depend only on the seed and the workload.
  for (const auto& [path, id] : ids_) {
    Node& node = nodes_.at(id);
    if (node.pending.empty()) continue;
    node.pending = CrashedBytes(node, options);
    STRIX_RETURN_IF_ERROR(WriteThrough(node));
  }
  // 2. Each changed name goes back to the node it named at its directory's last SyncDir.
  //    Collect the bytes first: restoring one name may remove the source of another.
  std::map<uint64_t, std::string> bytes;
  for (const auto& [dir, entries] : durable_) {
    for (const auto& [path, id] : entries) {
      if (id == 0 || bytes.count(id) != 0) continue;
      const Node& node = nodes_.at(id);
      if (!node.path.empty()) {
        STRIX_ASSIGN_OR_RETURN(bytes[id], ReadBase(node.path, node.synced));
      } else {
        bytes[id] = node.saved.value_or(std::string());
      }
    }
  }
  for (const auto& [dir, entries] : durable_) {
    if (!base_.FileExists(dir)) continue;  // directory removal is durable at once
    for (const auto& [path, id] : entries) {
      auto current = ids_.find(path);
      if (id != 0 && current != ids_.end() && current->second == id) continue;
      if (base_.FileExists(path)) STRIX_RETURN_IF_ERROR(base_.RemoveFile(path));
      if (id != 0) STRIX_RETURN_IF_ERROR(WriteBase(path, bytes[id]));
    }
  }
  // 3. The machine reboots: nothing pending, every handle and lock gone.
  nodes_.clear();
  ids_.clear();
  durable_.clear();
  locks_.clear();
  crashed_ = false;
  crash_at_sync_ = 0;
  ++generation_;
  return Status::Ok();
}

void FaultyEnv::CrashAtSync(uint64_t n) {
  MutexLock lock(&mu_);
  crash_at_sync_ = n == 0 ? 0 : sync_count_ + n;
}

bool FaultyEnv::CrashPointHit() const {
  MutexLock lock(&mu_);
  return crashed_;
}

// ---- Error injection ----

void FaultyEnv::FailNthWrite(uint64_t n, int err, std::string path_filter) {
  MutexLock lock(&mu_);
  write_fault_ = Fault{err, n, std::move(path_filter)};
}

void FaultyEnv::FailSyncs(int err, std::string path_filter) {
  MutexLock lock(&mu_);
  sync_fault_ = Fault{err, 0, std::move(path_filter)};
}

void FaultyEnv::DiskFullAfter(uint64_t bytes, std::string path_filter) {
  MutexLock lock(&mu_);
  space_left_ = bytes;
  space_filter_ = std::move(path_filter);
}

void FaultyEnv::ClearFaults() {
  MutexLock lock(&mu_);
  write_fault_ = Fault{};
  sync_fault_ = Fault{};
  space_left_.reset();
  space_filter_.clear();
  crash_at_sync_ = 0;
}

// ---- Counters ----

uint64_t FaultyEnv::SyncCount() const {
  MutexLock lock(&mu_);
  return sync_count_;
}

uint64_t FaultyEnv::AppendCount() const {
  MutexLock lock(&mu_);
  return append_count_;
}

uint64_t FaultyEnv::BytesAppended() const {
  MutexLock lock(&mu_);
  return bytes_appended_;
}

uint64_t FaultyEnv::BytesPending() const {
  MutexLock lock(&mu_);
  uint64_t total = 0;
  for (const auto& [path, id] : ids_) total += nodes_.at(id).pending.size();
  return total;
}

std::vector<std::string> FaultyEnv::FilesWithUnsyncedData() const {
  MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const auto& [path, id] : ids_) {
    if (!nodes_.at(id).pending.empty()) paths.push_back(path);
  }
  return paths;
}

std::vector<std::string> FaultyEnv::DirsWithUnsyncedChanges() const {
  MutexLock lock(&mu_);
  std::vector<std::string> dirs;
  for (const auto& [dir, entries] : durable_) dirs.push_back(dir);
  return dirs;
}

}  // namespace strix::testing

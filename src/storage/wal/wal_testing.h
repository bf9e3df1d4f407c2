// Test helpers for the WAL's tests (not part of the library): reading a whole WAL back,
// raw file access, and FaultEnv, a forwarding Env over Env::Default() that fails the
// N-th append or sync with a chosen errno, slows syncs down, or refuses renames and
// removals (to stop a checkpoint half-way, as a crash would).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/env.h"
#include "storage/wal/reader.h"
#include "storage/wal/wal.h"

namespace strix::storage::wal::testing {

struct ReadRecord {
  uint8_t type = 0;
  std::string payload;
  uint64_t segment = 0;
  bool from_checkpoint = false;
  friend bool operator==(const ReadRecord& a, const ReadRecord& b) {
    return a.type == b.type && a.payload == b.payload;
  }
};

inline std::ostream& operator<<(std::ostream& os, const ReadRecord& r) {
  return os << "{type=" << int(r.type) << " payload=" << r.payload << " seg=" << r.segment
            << (r.from_checkpoint ? " ckpt" : "") << "}";
}

// Every record the Reader yields; the Reader's status must be OK.
inline std::vector<ReadRecord> ReadAll(Env& env, const std::string& dir,
                                       const ReadOptions& opts = {},
                                       std::optional<Damage>* damage = nullptr) {
  std::vector<ReadRecord> out;
  auto reader = Reader::Open(env, dir, opts);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  RecordView v;
  while ((*reader)->Next(&v))
    out.push_back({v.type, std::string(v.payload), v.segment, v.from_checkpoint});
  EXPECT_TRUE((*reader)->status().ok()) << (*reader)->status().ToString();
  if (damage != nullptr) *damage = (*reader)->damage();
  return out;
}

// Opens the WAL, collecting the replayed records.
inline Result<std::unique_ptr<Wal>> OpenAndReplay(Env& env, const std::string& dir,
                                                  const WalOptions& opts,
                                                  std::vector<ReadRecord>* replayed) {
  replayed->clear();
  return Wal::Open(env, dir, opts, [replayed](const RecordView& v) {
    replayed->push_back({v.type, std::string(v.payload), v.segment, v.from_checkpoint});
    return Status::Ok();
  });
}

inline std::string ReadFile(const std::string& path) {
  auto s = ReadFileToString(Env::Default(), path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : std::string();
}

inline void WriteFile(const std::string& path, std::string_view data) {
  auto f = Env::Default().NewWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Append(data).ok());
  ASSERT_TRUE((*f)->Close().ok());
}

// WAL file names in the directory (the LOCK file left out).
inline std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> out;
  auto names = Env::Default().ListDir(dir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return out;
  for (auto& n : *names)
    if (n != Wal::kLockFileName) out.push_back(n);
  return out;
}

class FaultEnv final : public Env {
 public:
  FaultEnv() : base_(Env::Default()) {}

  // Fail the n-th (1-based, counted from now over all files) WritableFile::Append or
  // Sync with `err`; 0 disables.
  void FailAppendAt(int n, int err) {
    appends_ = 0;
    fail_append_at_ = n;
    append_errno_ = err;
  }
  void FailSyncAt(int n, int err) {
    syncs_ = 0;
    fail_sync_at_ = n;
    sync_errno_ = err;
  }
  void SetSyncDelay(std::chrono::microseconds d) { sync_delay_us_ = d.count(); }
  void FailRenames(bool on) { fail_renames_ = on; }
  void FailRemoves(bool on) { fail_removes_ = on; }
  int file_syncs() const { return total_syncs_.load(); }
  int dir_syncs() const { return dir_syncs_.load(); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    STRIX_ASSIGN_OR_RETURN(auto f, base_.NewWritableFile(path));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f), path));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    STRIX_ASSIGN_OR_RETURN(auto f, base_.NewAppendableFile(path));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f), path));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_.NewRandomAccessFile(p);
  }
  Result<std::unique_ptr<ReadOnlyRegion>> MapReadOnly(const std::string& p) override {
    return base_.MapReadOnly(p);
  }
  bool FileExists(const std::string& p) override { return base_.FileExists(p); }
  Result<uint64_t> FileSize(const std::string& p) override { return base_.FileSize(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    return base_.ListDir(p);
  }
  Status CreateDirs(const std::string& p) override { return base_.CreateDirs(p); }
  Status RemoveFile(const std::string& p) override {
    if (fail_removes_) return Status::FromErrno(EIO, "unlink", p);
    return base_.RemoveFile(p);
  }
  Status RemoveDir(const std::string& p) override { return base_.RemoveDir(p); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (fail_renames_) return Status::FromErrno(EIO, "rename", from);
    return base_.RenameFile(from, to);
  }
  Status SyncDir(const std::string& p) override {
    ++dir_syncs_;
    return base_.SyncDir(p);
  }
  Status TruncateFile(const std::string& p, uint64_t size) override {
    return base_.TruncateFile(p, size);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_.LockFile(p);
  }
  Result<DiskSpace> GetDiskSpace(const std::string& p) override { return base_.GetDiskSpace(p); }

 private:
  class File final : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> f, std::string path)
        : env_(env), f_(std::move(f)), path_(std::move(path)) {}
    Status Append(std::string_view data) override {
      int n = ++env_->appends_;
      if (env_->fail_append_at_ > 0 && n == env_->fail_append_at_) {
        // A short write, as a full disk produces, before the error.
        f_->Append(data.substr(0, data.size() / 2)).IgnoreError();
        return Status::FromErrno(env_->append_errno_, "write", path_);
      }
      return f_->Append(data);
    }
    Status Sync() override {
      ++env_->total_syncs_;
      int n = ++env_->syncs_;
      if (env_->sync_delay_us_ > 0)
        std::this_thread::sleep_for(std::chrono::microseconds(env_->sync_delay_us_.load()));
      if (env_->fail_sync_at_ > 0 && n == env_->fail_sync_at_)
        return Status::FromErrno(env_->sync_errno_, "fdatasync", path_);
      return f_->Sync();
    }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> f_;
    std::string path_;
  };

  Env& base_;
  std::atomic<int> appends_{0}, syncs_{0}, total_syncs_{0}, dir_syncs_{0};
  std::atomic<int> fail_append_at_{0}, fail_sync_at_{0}, append_errno_{0}, sync_errno_{0};
  std::atomic<int64_t> sync_delay_us_{0};
  std::atomic<bool> fail_renames_{false}, fail_removes_{false};
};

}  // namespace strix::storage::wal::testing

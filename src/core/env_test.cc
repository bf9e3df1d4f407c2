#include "core/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/testing/temp_dir.h"

namespace strix {
namespace {

using testing::TempDir;

TEST(PosixEnv, WriteSyncReadBack) {
  TempDir dir;
  Env& env = Env::Default();
  std::string path = dir.Join("a.dat");
  auto f = env.NewWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Append("hello ").ok());
  ASSERT_TRUE((*f)->Append("world").ok());
  EXPECT_EQ((*f)->Size(), 11u);
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_FALSE((*f)->Append("x").ok());
  auto text = ReadFileToString(env, path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello world");
  EXPECT_EQ(*env.FileSize(path), 11u);
}

TEST(PosixEnv, AppendableFileContinuesAtEnd) {
  TempDir dir;
  Env& env = Env::Default();
  std::string path = dir.Join("log");
  ASSERT_TRUE(WriteFileAtomically(env, path, "abc").ok());
  auto f = env.NewAppendableFile(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Size(), 3u);
  ASSERT_TRUE((*f)->Append("def").ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*ReadFileToString(env, path), "abcdef");
}

TEST(PosixEnv, RandomAccessShortReadAtEof) {
  TempDir dir;
  Env& env = Env::Default();
  std::string path = dir.Join("r");
  ASSERT_TRUE(WriteFileAtomically(env, path, "0123456789").ok());
  auto f = env.NewRandomAccessFile(path);
  ASSERT_TRUE(f.ok());
  char buf[8];
  auto n = (*f)->ReadAt(6, 8, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(std::string(buf, 4), "6789");
}

TEST(PosixEnv, MapReadOnlySeesContentAndEmptyFile) {
  TempDir dir;
  Env& env = Env::Default();
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("m"), "mapped bytes").ok());
  auto r = env.MapReadOnly(dir.Join("m"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->data(), "mapped bytes");
  ASSERT_TRUE(WriteFileAtomically(env, dir.Join("e"), "").ok());
  auto e = env.MapReadOnly(dir.Join("e"));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE((*e)->data().empty());
}

TEST(PosixEnv, MissingFileIsNotFound) {
  TempDir dir;
  auto f = Env::Default().NewRandomAccessFile(dir.Join("nope"));
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsNotFound());
  EXPECT_NE(f.status().context().find("nope"), std::string_view::npos);
}

TEST(PosixEnv, DirectoriesListRenameRemove) {
  TempDir dir;
  Env& env = Env::Default();
  std::string sub = dir.Join("x/y/z");
  ASSERT_TRUE(env.CreateDirs(sub).ok());
  ASSERT_TRUE(env.CreateDirs(sub).ok());  // idempotent
  ASSERT_TRUE(WriteFileAtomically(env, JoinPath(sub, "b"), "2").ok());
  ASSERT_TRUE(WriteFileAtomically(env, JoinPath(sub, "a"), "1").ok());
  auto names = env.ListDir(sub);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));  // sorted, no tmp left
  ASSERT_TRUE(env.RenameFile(JoinPath(sub, "a"), JoinPath(sub, "c")).ok());
  EXPECT_FALSE(env.FileExists(JoinPath(sub, "a")));
  EXPECT_TRUE(env.FileExists(JoinPath(sub, "c")));
  ASSERT_TRUE(env.SyncDir(sub).ok());
  ASSERT_TRUE(env.TruncateFile(JoinPath(sub, "c"), 0).ok());
  EXPECT_EQ(*env.FileSize(JoinPath(sub, "c")), 0u);
  ASSERT_TRUE(RemoveAll(env, dir.Join("x")).ok());
  EXPECT_FALSE(env.FileExists(dir.Join("x")));
}

TEST(PosixEnv, LockIsExclusiveUntilReleased) {
  TempDir dir;
  Env& env = Env::Default();
  auto l1 = env.LockFile(dir.Join("LOCK"));
  ASSERT_TRUE(l1.ok());
  auto l2 = env.LockFile(dir.Join("LOCK"));
  ASSERT_FALSE(l2.ok());
  EXPECT_EQ(l2.status().code(), StatusCode::kUnavailable);
  l1->reset();
  EXPECT_TRUE(env.LockFile(dir.Join("LOCK")).ok());
}

TEST(PosixEnv, DiskSpaceIsReported) {
  TempDir dir;
  auto d = Env::Default().GetDiskSpace(dir.path());
  ASSERT_TRUE(d.ok());
  EXPECT_GT(d->total_bytes, 0u);
  EXPECT_LE(d->available_bytes, d->total_bytes);
}

TEST(PosixEnv, WriteToUnwritableDirectoryFailsWithStatus) {
  if (::geteuid() == 0) {
    // root ignores permissions; use a path under a regular file instead
    TempDir dir;
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("f"), "x").ok());
    auto f = Env::Default().NewWritableFile(dir.Join("f/child"));
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);  // ENOTDIR
    return;
  }
  auto f = Env::Default().NewWritableFile("/proc/strix-cannot-write");
  EXPECT_FALSE(f.ok());
}

TEST(Path, JoinAndDirName) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

}  // namespace
}  // namespace strix

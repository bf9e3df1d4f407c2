#include "core/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace strix {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, ErrorKeepsCodeMessageAndContext) {
  Status s = Status::Corruption("chunk crc mismatch", "block 7 offset 4096");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "chunk crc mismatch");
  EXPECT_EQ(s.context(), "block 7 offset 4096");
  EXPECT_EQ(s.ToString(), "data_loss: chunk crc mismatch (block 7 offset 4096)");
}

TEST(Status, CopyIsDeepAndEqual) {
  Status a = Status::NotFound("no such series");
  Status b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  EXPECT_EQ(a, b);
  Status c;
  c = b;
  EXPECT_EQ(c.message(), "no such series");
  Status moved = std::move(c);
  EXPECT_EQ(moved.code(), StatusCode::kNotFound);
}

TEST(Status, FromErrnoMapsNoSpaceToResourceExhausted) {
  Status s = Status::FromErrno(ENOSPC, "write", "wal/00000001");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_NE(s.message().find("write: "), std::string_view::npos);
  EXPECT_EQ(Status::FromErrno(ENOENT, "open").code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::FromErrno(EACCES, "open").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Status::FromErrno(EIO, "fsync").code(), StatusCode::kInternal);
  EXPECT_FALSE(Status::FromErrno(EIO, "fsync").IsNoSpace());
}

TEST(Status, WithContextPrefixes) {
  Status s = Status::InvalidArgument("bad value", "line 3").WithContext("strixd.yaml");
  EXPECT_EQ(s.context(), "strixd.yaml: line 3");
  EXPECT_TRUE(Status().WithContext("x").ok());
}

Status FailIfNegative(int v) {
  if (v < 0) return Status::InvalidArgument("negative");
  return Status::Ok();
}

Status Chain(int v, bool* reached_end) {
  STRIX_RETURN_IF_ERROR(FailIfNegative(v));
  *reached_end = true;
  return Status::Ok();
}

TEST(Status, ReturnIfErrorStopsOnError) {
  bool reached = false;
  EXPECT_FALSE(Chain(-1, &reached).ok());
  EXPECT_FALSE(reached);
  EXPECT_TRUE(Chain(1, &reached).ok());
  EXPECT_TRUE(reached);
}

}  // namespace
}  // namespace strix

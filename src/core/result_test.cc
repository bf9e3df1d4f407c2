#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strix {
namespace {

Result<int> Parse(const std::string& s) {
  if (s.empty()) return Status::InvalidArgument("empty");
  return std::stoi(s);
}

Result<int> Doubled(const std::string& s) {
  STRIX_ASSIGN_OR_RETURN(int v, Parse(s));
  return v * 2;
}

TEST(Result, HoldsValue) {
  Result<int> r = Parse("21");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 21);
  EXPECT_TRUE(r.status().ok());
}

TEST(Result, HoldsError) {
  Result<int> r = Parse("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(Result, AssignOrReturnPropagates) {
  EXPECT_EQ(*Doubled("21"), 42);
  EXPECT_EQ(Doubled("").status().message(), "empty");
}

TEST(Result, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = Status::NotFound("gone");
  EXPECT_DEATH((void)r.value(), "gone");
}

TEST(ResultDeathTest, OkStatusIsAProgrammerError) {
  EXPECT_DEATH(
      {
        Result<int> r{Status::Ok()};
        (void)r.ok();
      },
      "OK Status");
}

}  // namespace
}  // namespace strix

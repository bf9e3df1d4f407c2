#include "api/http.h"

#include <gtest/gtest.h>

namespace strix::api {
namespace {

TEST(HttpRequest, PathAndQuerySplitAtTheFirstQuestionMark) {
  HttpRequest r;
  r.target = "/fetch/history/web1/cpu?start=1&end=2?x";
  EXPECT_EQ(r.path(), "/fetch/history/web1/cpu");
  EXPECT_EQ(r.query(), "start=1&end=2?x");
  r.target = "/metrics";
  EXPECT_EQ(r.query(), "");
}

TEST(HttpRequest, HeaderLookupReturnsFirstOrEmpty) {
  HttpRequest r;
  r.headers = {{"authorization", "Bearer a"}, {"authorization", "Bearer b"}};
  EXPECT_EQ(r.header("authorization"), "Bearer a");
  EXPECT_EQ(r.header("content-type"), "");
}

TEST(ErrorResponse, HasTheStatusATypeWordAndTheEscapedMessage) {
  HttpResponse r = ErrorResponse(413, "body exceeds 1 \"MiB\"");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"too_large\",\"error\":\"body exceeds 1 "
            "\\\"MiB\\\"\"}\n");
  EXPECT_EQ(ErrorTypeFor(503), "unavailable");
  EXPECT_EQ(ErrorTypeFor(599), "internal");
}

}  // namespace
}  // namespace strix::api

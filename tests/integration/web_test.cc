// The web UI's server side against a real strixd on 127.0.0.1, driven by curl (an
// independent HTTP client with its own cookie jar): users made with `strix user add`,
// login and its cookie's attributes, CSRF on writes, roles, throttling, the UI's files,
// server-sent events, and strixd listing itself as a host.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "harness.h"

namespace strix::testing {
namespace {

int Shell(const std::string& cmd, std::string* out = nullptr) {
  std::string text;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) text += buf;
  const int rc = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env::Default().CreateDirs(dir_.Join("web/assets")).IgnoreError();
    std::ofstream(dir_.Join("web/index.html")) << "<!doctype html><title>Strix</title>";
    std::ofstream(dir_.Join("web/assets/app-0abc.js")) << "export {};";
    server_ =
        std::make_unique<StrixdProcess>(dir_.path(), "web:\n  dir: " + dir_.Join("web") + "\n");
    token_ = server_->CreateToken("ingest,read,admin");
    AddUser("ann", "admin");
    AddUser("ed", "editor");
    AddUser("vic", "viewer");
    ASSERT_TRUE(server_->Start()) << server_->output();
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void AddUser(const std::string& name, const std::string& role) {
    std::string pw_file = dir_.Join("pw-" + name);
    std::ofstream(pw_file) << "password-" << name << "\n";
    std::string out;
    ASSERT_EQ(Shell(StrixToolPath() + " user add " + name + " --role " + role + " --data-dir " +
                        server_->data_dir() + " < " + pw_file,
                    &out),
              0)
        << out;
  }
  // curl with a cookie jar per user; returns the HTTP status, the body in *body.
  int Curl(const std::string& jar, const std::string& args, std::string* body = nullptr,
           std::string* headers = nullptr) {
    const std::string hdr = dir_.Join("headers");
    const std::string out = dir_.Join("body");
    std::string status;
    Shell("curl -sS -o " + out + " -D " + hdr + " -w '%{http_code}' -b " + dir_.Join(jar) + " -c " +
              dir_.Join(jar) + " " + args,
          &status);
    if (body != nullptr) *body = ReadAll(out);
    if (headers != nullptr) {
      *headers = ReadAll(hdr);  // lower-cased: header names are case-insensitive
      for (char& c : *headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return std::atoi(status.c_str());
  }
  int Login(const std::string& jar, const std::string& user, const std::string& pw,
            std::string* body = nullptr, std::string* headers = nullptr) {
    return Curl(jar,
                "-X POST -H 'Content-Type: application/json' --data '{\"user\":\"" + user +
                    "\",\"password\":\"" + pw + "\"}' " + url_ + "/api/v1/login",
                body, headers);
  }
  std::string Csrf(const std::string& jar) {
    std::string body;
    EXPECT_EQ(Curl(jar, url_ + "/api/v1/me", &body), 200) << body;
    const size_t at = body.find("\"csrf\":\"");
    return at == std::string::npos ? "" : body.substr(at + 8, 64);
  }

  TempDir dir_;
  std::unique_ptr<StrixdProcess> server_;
  std::string token_, url_;
};

TEST_F(WebTest, LoginSetsAnHttpOnlyCookieAndAWrongPasswordIsRefused) {
  std::string body, headers;
  EXPECT_EQ(Login("jar-x", "ed", "password-wrong", &body), 401);
  EXPECT_NE(body.find("invalid user name or password"), std::string::npos) << body;
  EXPECT_EQ(Curl("jar-x", url_ + "/api/v1/hosts", &body), 401) << body;

  ASSERT_EQ(Login("jar-ed", "ed", "password-ed", &body, &headers), 200) << body;
  EXPECT_NE(headers.find("httponly; samesite=strict"), std::string::npos) << headers;
  // curl marks HttpOnly cookies in its jar.
  EXPECT_NE(ReadAll(dir_.Join("jar-ed")).find("#HttpOnly_127.0.0.1"), std::string::npos);
  EXPECT_EQ(Curl("jar-ed", url_ + "/api/v1/hosts", &body), 200) << body;
  EXPECT_NE(body.find("\"host\":\"strix-test\""), std::string::npos)
      << "strixd lists itself through its self-metrics: " << body;
}

TEST_F(WebTest, EditorsEditTagsWithTheCsrfValueAndViewersCannot) {
  ASSERT_EQ(HttpCall(server_->port(), "POST", "/write", "cpu,host=web1 v=1",
                     {{"Authorization", "Bearer " + token_}})
                .status,
            204);
  std::string body;
  ASSERT_EQ(Login("jar-ed", "ed", "password-ed"), 200);
  const std::string put = "-X PUT -H 'Content-Type: application/json' --data '{\"role\":\"db\"}' " +
                          url_ + "/api/v1/hosts/web1/tags";
  EXPECT_EQ(Curl("jar-ed", put, &body), 403) << "no CSRF header: " << body;
  EXPECT_EQ(Curl("jar-ed", "-H 'X-CSRF-Token: " + Csrf("jar-ed") + "' " + put, &body), 200) << body;
  EXPECT_NE(body.find("\"tags\":{\"role\":\"db\"}"), std::string::npos) << body;

  ASSERT_EQ(Login("jar-vic", "vic", "password-vic"), 200);
  EXPECT_EQ(Curl("jar-vic", "-H 'X-CSRF-Token: " + Csrf("jar-vic") + "' " + put, &body), 403);
  EXPECT_NE(body.find("(viewer) may not edit"), std::string::npos) << body;

  // Logout ends the session server-side: the old cookie value no longer works.
  const std::string jar = ReadAll(dir_.Join("jar-ed"));
  EXPECT_EQ(Curl("jar-ed",
                 "-X POST -H 'X-CSRF-Token: " + Csrf("jar-ed") + "' " + url_ + "/api/v1/logout"),
            200);
  std::ofstream(dir_.Join("jar-old")) << jar;
  EXPECT_EQ(Curl("jar-old", url_ + "/api/v1/me", &body), 401) << body;
}

TEST_F(WebTest, RepeatedFailedLoginsGet429WithRetryAfter) {
  std::string body, headers;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("jar", "vic", "password-no"), 401);
  EXPECT_EQ(Login("jar", "vic", "password-vic", &body, &headers), 429) << body;
  EXPECT_NE(headers.find("retry-after: 1"), std::string::npos) << headers;
  std::this_thread::sleep_for(std::chrono::milliseconds(1'100));
  EXPECT_EQ(Login("jar", "vic", "password-vic", &body), 200) << body;
}

TEST_F(WebTest, TheUiFilesAreServedWithoutLogin) {
  std::string body, headers;
  EXPECT_EQ(Curl("jar", url_ + "/", &body, &headers), 200);
  EXPECT_EQ(body, "<!doctype html><title>Strix</title>");
  EXPECT_NE(headers.find("content-security-policy: default-src 'self'"), std::string::npos)
      << headers;
  EXPECT_EQ(Curl("jar", url_ + "/assets/app-0abc.js", &body, &headers), 200);
  EXPECT_NE(headers.find("immutable"), std::string::npos) << headers;
  EXPECT_EQ(Curl("jar", "--path-as-is " + url_ + "/assets/../../strixd.yaml", &body), 404);
}

TEST_F(WebTest, LiveStreamDeliversANewPointToABrowserSession) {
  ASSERT_EQ(Login("jar", "vic", "password-vic"), 200);
  const int64_t since = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        1'000;
  // curl -N prints events as they arrive; it stops after 6 s (--max-time), by then the
  // write below must have come through.
  const std::string out = dir_.Join("events");
  std::thread reader([&] {
    Shell("curl -sS -N --max-time 6 -b " + dir_.Join("jar") + " -o " + out + " '" + url_ +
          "/api/v1/stream?match[]=live_v&since=" + std::to_string(since) + "'");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1'500));
  ASSERT_EQ(HttpCall(server_->port(), "POST", "/write", "live,host=web1 v=42.5",
                     {{"Authorization", "Bearer " + token_}})
                .status,
            204);
  reader.join();
  const std::string events = ReadAll(out);
  EXPECT_TRUE(events.starts_with("retry: 3000\n\n")) << events;
  EXPECT_NE(events.find("event: data\ndata: {"), std::string::npos) << events;
  EXPECT_NE(events.find("\"values\":[42.5]"), std::string::npos) << events;
  EXPECT_NE(events.find("\"host\":\"web1\""), std::string::npos) << events;
}

}  // namespace
}  // namespace strix::testing

#include "server/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace strix::server {
namespace {

TEST(StrixdConfig, EmptyFileGivesTheDefaults) {
  auto c = ParseConfig("", "strixd.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.address, "127.0.0.1");
  EXPECT_EQ(c->api.port, 8888);
  EXPECT_FALSE(c->pattoo.enabled);
  EXPECT_EQ(c->pattoo.listener.port, 20201);
  EXPECT_EQ(c->pattoo.listener.address, "127.0.0.1");
  EXPECT_EQ(c->MetadataPath(), "./var/meta.db");
  EXPECT_EQ(c->StorageDir(), "./var/storage");
}

TEST(StrixdConfig, EveryComponentIsRead) {
  auto c = ParseConfig(R"(data_dir: /srv/strix
listen:
  address: 0.0.0.0
  port: 9000
  max_body_bytes: 8MiB
  read_timeout: 5s
  tls: {cert: /etc/strix/cert.pem, key: /etc/strix/key.pem}
pattoo:
  enabled: true
  port: 20202
storage:
  out_of_order_window: 2h
  tiers:
    - {name: raw, retention: 7d}
    - {name: 5m, resolution: 5m, retention: 365d}
metadata:
  path: /var/lib/strix/meta.db
ingest:
  queue_bytes: 64MiB
  writers: 2
self_metrics:
  interval: 30s
  host: strix-1
web:
  dir: /usr/share/strix/web
  session_ttl: 8h
  secure_cookie: true
log_level: debug
)",
                       "strixd.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.address, "0.0.0.0");
  EXPECT_EQ(c->api.port, 9000);
  EXPECT_EQ(c->api.max_body_bytes, 8u << 20);
  EXPECT_EQ(c->api.read_timeout_ms, 5000);
  EXPECT_EQ(c->api.tls_key_file, "/etc/strix/key.pem");
  EXPECT_TRUE(c->pattoo.enabled);
  EXPECT_EQ(c->pattoo.listener.port, 20202);
  EXPECT_EQ(c->storage.out_of_order_window_ms, 7'200'000);
  ASSERT_EQ(c->storage.tiers.size(), 2u);
  EXPECT_EQ(c->storage.tiers[1].resolution_ms, 300'000);
  EXPECT_EQ(c->MetadataPath(), "/var/lib/strix/meta.db");
  EXPECT_EQ(c->StorageDir(), "/srv/strix/storage");
  EXPECT_EQ(c->ingest.writers, 2u);
  EXPECT_EQ(c->self_metrics.interval_ms, 30'000);
  EXPECT_EQ(c->web.dir, "/usr/share/strix/web");
  EXPECT_EQ(c->web.session_ttl_ms, 8 * 3600 * 1000);
  EXPECT_TRUE(c->web.secure_cookie);
  EXPECT_EQ(c->log_level, "debug");
}

TEST(StrixdConfig, ErrorsNameFileLineAndKeyAllAtOnce) {
  auto c = ParseConfig("listen:\n  port: 70000\n  adress: x\npattoo:\n  enabled: maybe\n",
                       "strixd.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m(c.status().message());
  EXPECT_NE(m.find("strixd.yaml:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("listen.port"), std::string::npos) << m;
  EXPECT_NE(m.find("strixd.yaml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("address"), std::string::npos) << m;  // did you mean
  EXPECT_NE(m.find("strixd.yaml:5:"), std::string::npos) << m;
  EXPECT_NE(m.find("pattoo.enabled"), std::string::npos) << m;
}

TEST(StrixdConfig, TlsNeedsBothFiles) {
  auto c = ParseConfig("listen:\n  tls:\n    cert: /a.pem\n", "s.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("both cert and key"), std::string::npos)
      << c.status().ToString();
}

TEST(StrixdConfig, TierRulesAreCheckedWithTheFileAndLine) {
  auto c = ParseConfig(
      "storage:\n  tiers:\n    - {name: raw}\n    - {name: 7m, resolution: 7m}\n"
      "    - {name: 1h, resolution: 1h}\n",
      "s.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m(c.status().message());
  EXPECT_NE(m.find("s.yaml:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("storage.tiers[1].resolution"), std::string::npos) << m;
}

// docs/config.md shows every key; its example must stay valid.
TEST(StrixdConfig, TheDocumentedExampleLoads) {
  std::ifstream f(std::string(std::getenv("STRIX_SOURCE_DIR")) + "/docs/config.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const size_t begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  auto c = ParseConfig(doc.substr(begin + 8, end - begin - 8), "docs/config.md");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.tls_cert_file, "/etc/strix/cert.pem");
  EXPECT_EQ(c->storage.tiers.size(), 3u);
}

TEST(StrixdConfig, YamlSyntaxErrorNamesTheLine) {
  auto c = ParseConfig("listen:\n  port: [1,\n", "bad.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("bad.yaml:"), std::string::npos);
}

}  // namespace
}  // namespace strix::server

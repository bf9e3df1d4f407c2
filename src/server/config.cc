// strixd.yaml: see config.h and docs/config.md.
#include "server/config.h"

#include "core/config.h"

namespace strix::server {
namespace {

void BindListener(config::Section& s, ListenerConfig* l) {
  s.String("address", &l->address, /*non_empty=*/true)
      .Int("port", &l->port, 0, 65535)  // 0: any free port (strixd prints it)
      .Map("tls",
           [&](config::Section& t) {
             t.String("cert", &l->tls_cert_file).String("key", &l->tls_key_file);
             if (l->tls_cert_file.empty() != l->tls_key_file.empty()) {
               t.Error(l->tls_cert_file.empty() ? "cert" : "key",
                       "tls needs both cert and key (PEM files)");
             }
           })
      .Bytes("max_header_bytes", &l->max_header_bytes, 1 << 10, 1 << 20)
      .Bytes("max_body_bytes", &l->max_body_bytes, 1 << 10, 4ull << 30)
      .Duration("read_timeout", &l->read_timeout_ms, 100, 3'600'000)
      .Duration("idle_timeout", &l->idle_timeout_ms, 100, 86'400'000)
      .Int("threads", &l->threads, 0, 1024);
}

Result<StrixdConfig> Load(const config::Document& doc) {
  StrixdConfig c;
  config::Errors errors;
  {
    config::Section root(doc, &errors);
    root.String("data_dir", &c.data_dir, /*non_empty=*/true)
        .Map("listen", [&](config::Section& s) { BindListener(s, &c.api); })
        .Map("pattoo",
             [&](config::Section& s) {
               s.Bool("enabled", &c.pattoo.enabled);
               BindListener(s, &c.pattoo.listener);
             })
        .Map("storage",
             [&](config::Section& s) {
               storage::BindEngineOptions(s, &c.storage);
               Status v = storage::ValidateEngineOptions(c.storage);
               if (!v.ok()) {
                 // The engine names the key path (storage.tiers[1].resolution); report it
                 // at the storage section's line with that path in the message.
                 s.Error(s.Has("tiers") ? "tiers" : "",
                         std::string(v.message()) + " (" + std::string(v.context()) + ")");
               }
             })
        .Map("metadata", [&](config::Section& s) { s.String("path", &c.metadata_path); })
        .Map("ingest",
             [&](config::Section& s) {
               s.Bytes("queue_bytes", &c.ingest.queue_bytes, 1 << 20, 64ull << 30)
                   .Int("writers", &c.ingest.writers, 1, 64)
                   .Int("max_errors", &c.ingest.max_errors, 1, 1000);
             })
        .Map("self_metrics",
             [&](config::Section& s) {
               s.Duration("interval", &c.self_metrics.interval_ms, 0, 3'600'000)
                   .String("host", &c.self_metrics.host);
             })
        .Map("web",
             [&](config::Section& s) {
               s.String("dir", &c.web.dir)
                   .Duration("session_ttl", &c.web.session_ttl_ms, 60'000, 366LL * 86'400'000)
                   .Bool("secure_cookie", &c.web.secure_cookie);
             })
        .Enum("log_level", &c.log_level,
              {{"debug", std::string("debug")},
               {"info", std::string("info")},
               {"warn", std::string("warn")},
               {"error", std::string("error")}});
    root.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  return c;
}

}  // namespace

std::string StrixdConfig::StorageDir() const { return JoinPath(data_dir, "storage"); }

std::string StrixdConfig::MetadataPath() const {
  return metadata_path.empty() ? JoinPath(data_dir, "meta.db") : metadata_path;
}

StrixdConfig DefaultConfig(const std::string& data_dir) {
  StrixdConfig c;
  c.data_dir = data_dir;
  return c;
}

Result<StrixdConfig> LoadConfig(Env& env, const std::string& path) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseFile(env, path));
  return Load(doc);
}

Result<StrixdConfig> ParseConfig(std::string_view text, const std::string& name) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(text, name));
  return Load(doc);
}

}  // namespace strix::server

// The admin tool's configuration and metadata subcommands (main.cc parses the command
// line): check-config, and token create | list | revoke on the metadata database that
// strixd uses (safe while strixd runs: SQLite WAL mode, writes wait for its lock).
#pragma once

#include <string>

namespace strix::tools {

// Where the metadata database is: the config file's (metadata.path or its data_dir), or
// <data_dir>/meta.db.
struct MetaLocation {
  std::string config_path;
  std::string data_dir = "./var";
};

int CheckConfig(const std::string& path);
int TokenCreate(const MetaLocation& loc, const std::string& name, const std::string& scopes,
                const std::string& expires);
int TokenList(const MetaLocation& loc);
int TokenRevoke(const MetaLocation& loc, const std::string& id);

}  // namespace strix::tools

// The admin tool's configuration and metadata subcommands (main.cc parses the command
// line): check-config, token create | list | revoke and user add | passwd | list | role |
// disable | enable | delete on the
// metadata database that
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
// user add | passwd read the password from standard input (twice on a terminal).
int UserAdd(const MetaLocation& loc, const std::string& name, const std::string& role);
int UserPasswd(const MetaLocation& loc, const std::string& name);
int UserList(const MetaLocation& loc);
// user role <name> <role>: holds from the user's next request.
int UserRole(const MetaLocation& loc, const std::string& name, const std::string& role);
// user disable | enable <name>: disabling ends the user's sessions.
int UserDisable(const MetaLocation& loc, const std::string& name, bool disabled);
// user delete <name>: the sessions go with the user.
int UserDelete(const MetaLocation& loc, const std::string& name);

}  // namespace strix::tools

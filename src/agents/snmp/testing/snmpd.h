// SnmpdProcess: a test fixture that runs Debian's snmpd (an SNMP agent independent of our
// client code) on a free UDP port of 127.0.0.1, with a generated configuration: v1/v2c
// read-only communities, v3 users (createUser with any auth and privacy protocol), and
// extra snmpd.conf lines (e.g. `override .1.3.6.1.4.1.99999.1.0 counter 4294967290` or
// `pass` scripts for fixed values). Its files (configuration, persistent state, log)
// live in a temporary directory removed at the end; nothing is written to ~/.snmp or
// /var/lib/snmp. The process is killed by its PID in the destructor.
//
// The binary is /usr/sbin/snmpd, or $STRIX_SNMPD.
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agents/snmp/snmp_config.h"
#include "core/result.h"

namespace strix::agents::snmp::testing {

struct SnmpdUser {
  std::string name;
  AuthProtocol auth = AuthProtocol::kNone;  // kNone: noAuthNoPriv
  std::string auth_password;
  PrivProtocol priv = PrivProtocol::kNone;  // kNone: authNoPriv (with auth)
  std::string priv_password;
};

struct SnmpdOptions {
  std::vector<std::string> communities = {"public"};  // rocommunity, from 127.0.0.1
  std::vector<SnmpdUser> users;                       // rouser at their level
  std::vector<std::string> extra_config;              // appended to snmpd.conf
  std::string sys_name = "strix-test";
  std::string sys_descr = "strix snmpd fixture";
  std::string sys_location = "lab";
  uint16_t port = 0;                  // 0: a free port
  int64_t start_timeout_ms = 15'000;  // until it answers a GET
};

class SnmpdProcess {
 public:
  // Starts snmpd and waits until it answers a GET of sysUpTime.0. Unavailable when the
  // binary is missing; Internal with the log's tail when it does not come up.
  static Result<std::unique_ptr<SnmpdProcess>> Start(SnmpdOptions options);
  ~SnmpdProcess();
  SnmpdProcess(const SnmpdProcess&) = delete;
  SnmpdProcess& operator=(const SnmpdProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  // A TargetSpec for 127.0.0.1:port() with v2c and the given community.
  TargetSpec V2cTarget(const std::string& community = "public") const;
  // A TargetSpec for a configured v3 user (authPriv, authNoPriv or noAuthNoPriv by its
  // protocols).
  TargetSpec V3Target(const SnmpdUser& user) const;
  // Kills it (SIGKILL) and waits; the port then answers nothing.
  void Kill();

  // The path of the snmpd binary used.
  static std::string Binary();

 private:
  SnmpdProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
};

// A UDP port of 127.0.0.1 that nothing listens on right now (bound, then closed).
uint16_t FreeUdpPort();

}  // namespace strix::agents::snmp::testing

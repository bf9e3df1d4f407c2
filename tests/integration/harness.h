// Test harness for integration tests against a real strixd process on 127.0.0.1: starts
// the built binary with a config file in a temporary directory, reads the ports it
// prints, and stops it by its PID (SIGTERM, or SIGKILL for crash tests). HttpCall is a
// minimal HTTP/1.1 client over a plain socket, written for the tests (independent of the
// server's Boost.Beast code), one request per connection.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace strix::testing {

struct HttpResult {
  int status = 0;  // 0: no answer (connection failed or closed)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const;
};

// Sends one request (Content-Length from body, Connection: close) and reads the answer.
HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    int timeout_ms = 10'000);

class StrixdProcess {
 public:
  // `config_yaml` is written to <dir>/strixd.yaml (data_dir and listen.port are added:
  // <dir>/data and 0).
  StrixdProcess(std::string dir, std::string config_yaml = "");
  ~StrixdProcess();

  // Starts strixd and waits until it prints its listening line. False on failure.
  bool Start();
  // SIGTERM; returns the exit status (or -1) and the milliseconds it took.
  int Stop(long* ms = nullptr);
  // SIGKILL, and reaps it.
  void Kill();

  int port() const { return port_; }
  int pattoo_port() const { return pattoo_port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& output() const { return output_; }
  // A token with the given scopes, made with the strix admin tool on this data dir.
  std::string CreateToken(const std::string& scopes);

 private:
  std::string dir_, data_dir_, config_path_, config_yaml_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  int pattoo_port_ = 0;
  std::string output_;
};

// Paths of the built binaries (from CMake definitions).
std::string StrixdPath();
std::string StrixToolPath();

}  // namespace strix::testing

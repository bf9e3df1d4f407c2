// StrixdProcess and HttpCall: see harness.h.
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

namespace strix::testing {

std::string StrixdPath() { return STRIXD_PATH; }
std::string StrixToolPath() { return STRIX_TOOL_PATH; }

std::string HttpResult::Header(const std::string& lower_name) const {
  for (const auto& [n, v] : headers) {
    if (n == lower_name) return v;
  }
  return "";
}

HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    int timeout_ms) {
  HttpResult r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before reading it all
    off += static_cast<size_t>(n);
  }
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = in.find("\r\n\r\n");
  if (in.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::atoi(in.c_str() + 9);
  size_t pos = in.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = in.find("\r\n", pos);
    std::string line = in.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(name, value);
    }
    pos = eol + 2;
  }
  r.body = in.substr(head_end + 4);
  return r;
}

StrixdProcess::StrixdProcess(std::string dir, std::string config_yaml)
    : dir_(std::move(dir)),
      data_dir_(dir_ + "/data"),
      config_path_(dir_ + "/strixd.yaml"),
      config_yaml_(std::move(config_yaml)) {}

StrixdProcess::~StrixdProcess() {
  if (pid_ > 0) Kill();
}

bool StrixdProcess::Start() {
  {
    std::ofstream f(config_path_);
    f << "data_dir: " << data_dir_ << "\n";
    if (config_yaml_.find("listen:") == std::string::npos) f << "listen:\n  port: 0\n";
    f << "self_metrics:\n  interval: 1s\n  host: strix-test\n";
    f << config_yaml_;
  }
  output_.clear();
  port_ = pattoo_port_ = 0;
  int pipefd[2];
  if (::pipe(pipefd) != 0) return false;
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    const std::string bin = StrixdPath();
    ::execl(bin.c_str(), bin.c_str(), "--config", config_path_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  out_fd_ = pipefd[0];
  const bool want_pattoo = config_yaml_.find("pattoo:") != std::string::npos &&
                           config_yaml_.find("enabled: true") != std::string::npos;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(out_fd_, buf, sizeof(buf));
      if (n <= 0) break;  // exited
      output_.append(buf, static_cast<size_t>(n));
    }
    auto port_after = [&](const char* marker) {
      size_t at = output_.find(marker);
      if (at == std::string::npos) return 0;
      at = output_.find("127.0.0.1:", at);
      if (at == std::string::npos) return 0;
      return std::atoi(output_.c_str() + at + 10);
    };
    port_ = port_after("strixd: listening on");
    pattoo_port_ = port_after("strixd: pattoo agent API on");
    if (port_ > 0 && (!want_pattoo || pattoo_port_ > 0)) {
      // Keep draining the output in the background so the server never blocks on it.
      int fd = out_fd_;
      std::thread([fd] {
        char buf[4096];
        while (::read(fd, buf, sizeof(buf)) > 0) {
        }
        ::close(fd);
      }).detach();
      out_fd_ = -1;
      return true;
    }
  }
  return false;
}

int StrixdProcess::Stop(long* ms) {
  if (pid_ <= 0) return -1;
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (ms != nullptr) {
    *ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void StrixdProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string StrixdProcess::CreateToken(const std::string& scopes) {
  const std::string cmd = StrixToolPath() + " token create --name test --scope " + scopes +
                          " --config " + config_path_ + " 2>/dev/null";
  // The config file must exist for the tool: Start() writes it; before, write it now.
  if (FILE* probe = std::fopen(config_path_.c_str(), "r")) {
    std::fclose(probe);
  } else {
    std::ofstream f(config_path_);
    f << "data_dir: " << data_dir_ << "\n" << config_yaml_;
  }
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace strix::testing

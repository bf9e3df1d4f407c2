// Integration tests of strix-agent against a real strixd on 127.0.0.1: each input's data
// read back through the query API, a server outage (every round collected meanwhile
// arrives exactly once, in time order), kill -9 of the agent during an outage, a full
// buffer dropping its oldest data and counting it, a hub polling two real spokes, and
// scripts that hang or print garbage.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agents/snmp/testing/snmpd.h"
#include "core/testing/temp_dir.h"
#include "harness.h"

namespace strix::testing {
namespace {

using namespace std::chrono_literals;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string AgentPath() { return STRIX_AGENT_PATH; }

// A strix-agent process with a config file in its own directory, stopped by its PID.
class AgentProcess {
 public:
  AgentProcess(std::string dir, std::string yaml) : dir_(std::move(dir)), yaml_(std::move(yaml)) {
    ::mkdir(dir_.c_str(), 0755);
  }
  ~AgentProcess() { Kill(); }

  bool Start() {
    {
      std::ofstream f(dir_ + "/strix-agent.yaml");
      f << yaml_;
    }
    int pipefd[2];
    if (::pipe(pipefd) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipefd[1], 1);
      ::dup2(pipefd[1], 2);
      ::close(pipefd[0]);
      ::close(pipefd[1]);
      const std::string bin = AgentPath();
      const std::string cfg = dir_ + "/strix-agent.yaml";
      ::execl(bin.c_str(), bin.c_str(), "-c", cfg.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipefd[1]);
    int fd = pipefd[0];
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        std::lock_guard<std::mutex> lock(*mu_);
        output_->append(buf, static_cast<size_t>(n));
        if (output_->find("strix-agent: running") != std::string::npos) {
          auto out = output_;
          auto mu = mu_;
          std::thread([fd, out, mu] {
            char b[4096];
            ssize_t m;
            while ((m = ::read(fd, b, sizeof(b))) > 0) {
              std::lock_guard<std::mutex> l(*mu);
              out->append(b, static_cast<size_t>(m));
            }
            ::close(fd);
          }).detach();
          return true;
        }
      }
    }
    ::close(fd);
    return false;
  }
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string output() const {
    std::lock_guard<std::mutex> lock(*mu_);
    return *output_;
  }
  std::string SpokePortText() const {
    std::string out = output();
    size_t at = out.find("spoke on ");
    if (at == std::string::npos) return "";
    at = out.find(':', at + 9);
    return out.substr(at + 1, out.find(')', at) - at - 1);
  }

 private:
  std::string dir_, yaml_;
  pid_t pid_ = -1;
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::string> output_ = std::make_shared<std::string>();
};

struct Samples {
  std::string kind;
  std::map<std::string, std::string> labels;
  std::vector<int64_t> ts;
  std::vector<double> values;
  std::vector<std::string> states;  // the values of a state series
};

// GET /api/v1/select (raw) for a selector; every series in the answer.
std::vector<Samples> Select(int port, const std::string& token, const std::string& selector,
                            const std::string& range = "start=0&end=now") {
  std::string target = "/api/v1/select?" + range + "&match[]=";
  for (char c : selector) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') {
      target += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      target += buf;
    }
  }
  HttpResult r = HttpCall(port, "GET", target, "", {{"Authorization", "Bearer " + token}});
  std::vector<Samples> out;
  if (r.status != 200) {
    ADD_FAILURE() << "select " << selector << ": HTTP " << r.status << " " << r.body;
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << "bad JSON: " << r.body;
    return out;
  }
  simdjson::dom::array series;
  if (doc["data"]["series"].get(series) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element s : series) {
    Samples x;
    std::string_view kind;
    if (s["kind"].get(kind)) kind = "";
    x.kind = std::string(kind);
    simdjson::dom::object labels;
    if (s["labels"].get(labels) == simdjson::SUCCESS) {
      for (auto [k, v] : labels) {
        std::string_view sv;
        if (v.get(sv)) sv = "";
        x.labels[std::string(k)] = std::string(sv);
      }
    }
    simdjson::dom::array ts, vs;
    if (s["timestamps"].get(ts) || s["values"].get(vs)) continue;
    for (simdjson::dom::element t : ts) {
      int64_t v = 0;
      if (t.get(v)) v = -1;
      x.ts.push_back(v);
    }
    for (simdjson::dom::element v : vs) {
      double d = 0;
      if (v.is<double>()) {
        d = double(v);
      } else if (v.is<uint64_t>()) {
        d = static_cast<double>(uint64_t(v));
      } else if (v.is<int64_t>()) {
        d = static_cast<double>(int64_t(v));
      } else if (v.is<std::string_view>()) {
        x.states.emplace_back(std::string_view(v));
      }
      x.values.push_back(d);
    }
    out.push_back(std::move(x));
  }
  return out;
}

// Polls until pred() or the timeout.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

void WriteScript(const std::string& path, const std::string& body) {
  std::ofstream f(path);
  f << "#!/bin/sh\n" << body;
  f.close();
  ::chmod(path.c_str(), 0755);
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    server_yaml_ = "listen:\n  address: 127.0.0.1\n  port: " + std::to_string(port_) + "\n";
    server_ = std::make_unique<StrixdProcess>(dir_.path(), server_yaml_);
    ingest_ = server_->CreateToken("ingest");
    reader_ = server_->CreateToken("read");
    ASSERT_FALSE(ingest_.empty());
    ASSERT_TRUE(server_->Start()) << server_->output();
    ::mkdir(dir_.Join("scripts").c_str(), 0755);
  }

  // A config with the given inputs (YAML under `inputs:`), posting to strixd.
  std::string AgentYaml(const std::string& name, const std::string& inputs,
                        const std::string& extra = "") {
    return "agent:\n  state_dir: " + dir_.Join(name + "/state") + "\n  host: " + name +
           "\n  self_metrics_interval: 1s\n  log_level: debug\n"
           "server:\n  urls: [http://127.0.0.1:" +
           std::to_string(port_) + "]\n  token: " + ingest_ +
           "\n  backoff_min: 100ms\n  backoff_max: 500ms\n  timeout: 2s\n" + extra +
           (inputs.empty() ? "" : "inputs:\n" + inputs);
  }

  // The timestamps of `selector`'s one series (empty when absent).
  std::vector<int64_t> Ticks(const std::string& selector) {
    auto s = Select(port_, reader_, selector);
    return s.empty() ? std::vector<int64_t>{} : s[0].ts;
  }

  TempDir dir_;
  int port_ = 0;
  std::string server_yaml_, ingest_, reader_;
  std::unique_ptr<StrixdProcess> server_;
};

uint64_t MemTotalBytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit) {
    if (key == "MemTotal:") return kb * 1024;
  }
  return 0;
}

TEST_F(AgentTest, LinuxInputArrivesAndReadsBack) {
  AgentProcess agent(dir_.Join("a"),
                     AgentYaml("linux-host", "  sys:\n    type: linux\n    interval: 1s\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(
      WaitFor([&] { return !Ticks("linux_memory_total_bytes{host=\"linux-host\"}").empty(); }, 15s))
      << agent.output();
  auto mem = Select(port_, reader_, "linux_memory_total_bytes{host=\"linux-host\"}");
  ASSERT_EQ(mem.size(), 1u);
  EXPECT_EQ(mem[0].kind, "gauge");
  EXPECT_EQ(mem[0].labels["input"], "sys");
  EXPECT_EQ(mem[0].labels["agent"].size(), 64u);
  EXPECT_DOUBLE_EQ(mem[0].values.back(), static_cast<double>(MemTotalBytes()));
  // Counters arrive as counters, with the total and per-core series.
  auto cpu = Select(port_, reader_, "{__name__=~\"linux_cpu.*\",host=\"linux-host\"}");
  std::set<std::string> cpus;
  bool counter = false;
  for (const auto& s : cpu) {
    if (s.labels.count("cpu")) cpus.insert(s.labels.at("cpu"));
    counter |= s.kind == "counter64";
  }
  EXPECT_TRUE(counter);
  EXPECT_GE(cpus.size(), 2u);  // "total" (or an aggregate) and at least one core
  // Self-metrics travel with the data.
  EXPECT_TRUE(
      WaitFor([&] { return !Ticks("strix_agent_posts_ok{host=\"linux-host\"}").empty(); }, 10s));
  EXPECT_EQ(agent.Stop(), 0);
}

TEST_F(AgentTest, ScriptInputLineProtocolAndJsonReadBackExactly) {
  WriteScript(dir_.Join("scripts/ups.sh"),
              "echo 'ups,unit=a charge=87.5,load=12i,status=\"online\"'\n");
  WriteScript(dir_.Join("scripts/room.sh"), "echo '{\"temp\": 21.25, \"humidity\": 40}'\n");
  AgentProcess agent(dir_.Join("a"), AgentYaml("script-host",
                                               "  s:\n    type: script\n    interval: 1s\n"
                                               "    dir: " +
                                                   dir_.Join("scripts") + "\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return !Ticks("room_humidity").empty(); }, 15s)) << agent.output();
  auto charge = Select(port_, reader_, "ups_charge{unit=\"a\",host=\"script-host\"}");
  ASSERT_EQ(charge.size(), 1u);
  EXPECT_EQ(charge[0].kind, "gauge");
  EXPECT_DOUBLE_EQ(charge[0].values.back(), 87.5);
  auto load = Select(port_, reader_, "ups_load");
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0].kind, "derive");
  EXPECT_DOUBLE_EQ(load[0].values.back(), 12);
  auto temp = Select(port_, reader_, "room_temp{input=\"s\"}");
  ASSERT_EQ(temp.size(), 1u);
  EXPECT_DOUBLE_EQ(temp[0].values.back(), 21.25);
  EXPECT_EQ(agent.Stop(), 0);
}

TEST_F(AgentTest, HangingAndGarbageScriptsCostACounterNotTheAgent) {
  WriteScript(dir_.Join("scripts/a_hang.sh"), "sleep 1000 &\nsleep 1000\n");
  WriteScript(dir_.Join("scripts/b_garbage.sh"),
              "echo '%%% not line protocol'\nhead -c 300 /dev/urandom\n");
  WriteScript(dir_.Join("scripts/c_good.sh"), "echo 'probe ok=1'\n");
  AgentProcess agent(dir_.Join("a"), AgentYaml("hang-host",
                                               "  s:\n    type: script\n    interval: 2s\n"
                                               "    timeout: 1500ms\n    script_timeout: 500ms\n"
                                               "    dir: " +
                                                   dir_.Join("scripts") + "\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return Ticks("probe_ok").size() >= 3; }, 20s)) << agent.output();
  // The good script's rounds keep coming: the hanging one is killed each round.
  std::vector<int64_t> t = Ticks("probe_ok");
  for (size_t i = 1; i < t.size(); ++i) EXPECT_EQ(t[i] - t[i - 1], 2000);
  // No sleep of the hanging script survives its round.
  // ('slee[p]' keeps pgrep from matching the shell that runs it.)
  auto sleepers = [] {
    std::string ps;
    if (FILE* p = ::popen("pgrep -f 'slee[p] 1000' | wc -l", "r")) {
      char buf[64] = {0};
      if (std::fgets(buf, sizeof(buf), p)) ps = buf;
      ::pclose(p);
    }
    return std::atoi(ps.c_str());
  };
  EXPECT_LE(sleepers(), 2) << "only the current round's script and its child may run";
  std::string out = agent.output();
  EXPECT_NE(out.find("a_hang"), std::string::npos) << out;
  EXPECT_EQ(agent.Stop(), 0);
  EXPECT_EQ(sleepers(), 0) << "a script's process group outlived the agent";
}

// Every round of a 1 s input between `first` and `last` is stored exactly once.
void ExpectEveryTickOnce(const std::vector<int64_t>& ts, int64_t interval) {
  ASSERT_FALSE(ts.empty());
  for (size_t i = 1; i < ts.size(); ++i) {
    ASSERT_EQ(ts[i] - ts[i - 1], interval) << "at " << i << " of " << ts.size();
  }
}

TEST_F(AgentTest, ServerOutageEveryRoundArrivesOnceInOrder) {
  WriteScript(dir_.Join("scripts/probe.sh"), "echo 'outage value=1'\n");
  AgentProcess agent(dir_.Join("a"), AgentYaml("outage-host",
                                               "  p:\n    type: script\n    interval: 1s\n"
                                               "    dir: " +
                                                   dir_.Join("scripts") + "\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return Ticks("outage_value").size() >= 2; }, 15s));
  EXPECT_EQ(server_->Stop(), 0);
  std::this_thread::sleep_for(6s);  // about 6 rounds collected while strixd is down
  ASSERT_TRUE(server_->Start()) << server_->output();
  const int64_t back_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  // The backlog drains: the stored rounds are contiguous up to after the restart.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto t = Ticks("outage_value");
        return !t.empty() && t.back() > back_ms + 2000;
      },
      20s))
      << agent.output();
  std::vector<int64_t> t = Ticks("outage_value");
  ExpectEveryTickOnce(t, 1000);
  EXPECT_GE(t.size(), 10u);
  auto failed = Select(port_, reader_, "strix_agent_posts_failed{host=\"outage-host\"}");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_GT(failed[0].values.back(), 0);
  EXPECT_EQ(agent.Stop(), 0);
}

TEST_F(AgentTest, Kill9DuringAnOutageLosesNothingBuffered) {
  WriteScript(dir_.Join("scripts/probe.sh"), "echo 'k9 value=1'\n");
  const std::string yaml = AgentYaml("k9-host",
                                     "  p:\n    type: script\n    interval: 1s\n"
                                     "    dir: " +
                                         dir_.Join("scripts") + "\n");
  auto agent = std::make_unique<AgentProcess>(dir_.Join("a"), yaml);
  ASSERT_TRUE(agent->Start()) << agent->output();
  ASSERT_TRUE(WaitFor([&] { return Ticks("k9_value").size() >= 2; }, 15s));
  const int64_t first_stored = Ticks("k9_value").front();
  EXPECT_EQ(server_->Stop(), 0);
  std::this_thread::sleep_for(4s);
  agent->Kill();  // kill -9 with about 4 rounds buffered, none delivered
  agent = std::make_unique<AgentProcess>(dir_.Join("a"), yaml);
  ASSERT_TRUE(agent->Start()) << agent->output();  // the same state dir: the same buffer
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(server_->Start()) << server_->output();
  const int64_t back_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto t = Ticks("k9_value");
        return !t.empty() && t.back() > back_ms + 2000;
      },
      20s))
      << agent->output();
  std::vector<int64_t> t = Ticks("k9_value");
  EXPECT_EQ(t.front(), first_stored);
  // The rounds before the kill and after the restart are all there. The agent was down
  // about a second (no rounds then): the only allowed hole is that one.
  int holes = 0;
  for (size_t i = 1; i < t.size(); ++i) {
    ASSERT_GT(t[i], t[i - 1]);
    if (t[i] - t[i - 1] != 1000) ++holes;
  }
  EXPECT_LE(holes, 1);
  EXPECT_GE(t.size(), 9u);
  EXPECT_EQ(agent->Stop(), 0);
}

TEST_F(AgentTest, FullBufferDropsTheOldestAndCountsIt) {
  // Each round is about 280 KiB after gzip (random hex tags); the buffer holds 1 MiB.
  WriteScript(dir_.Join("scripts/big.sh"),
              "echo \"fill value=1\"\n"
              "head -c 250000 /dev/urandom | od -An -tx1 -v -w48 | tr -d ' ' | "
              "awk '{print \"pad,k=\" $0 \" v=\" NR}'\n");
  EXPECT_EQ(server_->Stop(), 0);  // down from the start: everything is buffered
  AgentProcess agent(dir_.Join("a"),
                     AgentYaml("full-host",
                               "  b:\n    type: script\n    interval: 2s\n"
                               "    dir: " +
                                   dir_.Join("scripts") + "\n",
                               "buffer:\n  max_bytes: 1MiB\n  segment_bytes: 64KiB\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  std::this_thread::sleep_for(14s);  // ~7 rounds of ~300 KiB into 1 MiB
  ASSERT_TRUE(server_->Start()) << server_->output();
  const int64_t back_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  // Records go freshest first, so the counter (a fresh record) can land before the
  // backlog: wait for the counter and for a self-metrics round, taken after the restart,
  // that saw nothing older than a few seconds pending (the backlog is through).
  ASSERT_TRUE(WaitFor(
      [&] {
        auto d = Select(port_, reader_, "strix_agent_buffer_dropped_records{host=\"full-host\"}");
        if (d.empty() || d[0].values.back() <= 0) return false;
        auto age =
            Select(port_, reader_, "strix_agent_buffer_oldest_age_seconds{host=\"full-host\"}");
        if (age.empty()) return false;
        for (size_t i = 0; i < age[0].ts.size(); ++i) {
          if (age[0].ts[i] > back_ms + 1000 && age[0].values[i] < 4) return true;
        }
        return false;
      },
      40s))
      << agent.output();
  std::vector<int64_t> t = Ticks("fill_value");
  std::vector<int64_t> during;
  for (int64_t tick : t) {
    if (tick < back_ms) during.push_back(tick);
  }
  // The newest rounds of the outage survived; the oldest were dropped.
  ASSERT_FALSE(during.empty());
  EXPECT_LT(during.size(), 7u);
  EXPECT_GT(during.back(), back_ms - 5000);
  EXPECT_EQ(agent.Stop(), 0);
}

TEST_F(AgentTest, HubPollsTwoRealSpokes) {
  const int pattoo_spoke = FreePort();
  const int strix_spoke = FreePort();
  AgentProcess spoke1(
      dir_.Join("s1"),
      AgentYaml("spoke-one", "",
                "spoke:\n  enabled: true\n  port: " + std::to_string(pattoo_spoke) + "\n"));
  AgentProcess spoke2(dir_.Join("s2"),
                      AgentYaml("spoke-two", "",
                                "spoke:\n  enabled: true\n  token: sekrit\n  port: " +
                                    std::to_string(strix_spoke) + "\n"));
  ASSERT_TRUE(spoke1.Start()) << spoke1.output();
  ASSERT_TRUE(spoke2.Start()) << spoke2.output();
  // pattoo's page, as pattoo's hub reads it.
  HttpResult page = HttpCall(pattoo_spoke, "GET", "/pattoo-agent-linux/10");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("\"pattoo_agent_polling_interval\":10000"), std::string::npos);
  EXPECT_NE(page.body.find("pattoo_agent_linux_spoked"), std::string::npos);
  EXPECT_EQ(HttpCall(strix_spoke, "GET", "/strix/v1/points").status, 401);

  AgentProcess hub(dir_.Join("h"),
                   AgentYaml("the-hub",
                             "  spokes:\n    type: hub\n    interval: 1s\n    targets:\n"
                             "      - {ip_address: 127.0.0.1, ip_bind_port: " +
                                 std::to_string(pattoo_spoke) +
                                 "}\n"
                                 "      - {address: 127.0.0.1, port: " +
                                 std::to_string(strix_spoke) +
                                 ", format: strix, token: sekrit}\n"
                                 "      - {address: 127.0.0.1, port: " +
                                 std::to_string(FreePort()) + "}\n"));
  ASSERT_TRUE(hub.Start()) << hub.output();
  // The strix spoke's data keeps its own host; the pattoo spoke's is under its target.
  ASSERT_TRUE(
      WaitFor([&] { return !Ticks("linux_memory_total_bytes{host=\"spoke-two\"}").empty(); }, 15s))
      << hub.output();
  auto two = Select(port_, reader_, "linux_memory_total_bytes{host=\"spoke-two\"}");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_DOUBLE_EQ(two[0].values.back(), static_cast<double>(MemTotalBytes()));
  EXPECT_EQ(two[0].labels["input"], "spoke");
  auto one =
      Select(port_, reader_, "memory_total{pattoo_agent_program=\"pattoo_agent_linux_spoked\"}");
  ASSERT_EQ(one.size(), 1u) << hub.output();
  EXPECT_DOUBLE_EQ(one[0].values.back(), static_cast<double>(MemTotalBytes()));
  EXPECT_EQ(one[0].labels["input"], "spokes");
  // The third target never answers: a gap and a counted failure, not a hang.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto f = Select(port_, reader_, "strix_agent_input_spoke_failures{name=\"spokes\"}");
        return !f.empty() && f[0].values.back() > 0;
      },
      10s));
  EXPECT_NE(hub.output().find("hub: spoke gives no data"), std::string::npos);
  EXPECT_EQ(hub.Stop(), 0);
  EXPECT_EQ(spoke1.Stop(), 0);
  EXPECT_EQ(spoke2.Stop(), 0);
}

// The hub against a page served by an independent peer: pattoo's own example post (spec
// pattoo.md 1.3, produced by PattooShared), served by Python's http.server, with its
// timestamp moved to now so strixd's out-of-order window takes it.
// A spoke that cannot read its host's data answers 503, so a hub records a gap (not an
// empty page that reads as "no series").
TEST_F(AgentTest, SpokeThatCannotReadProcAnswers503) {
  const int port = FreePort();
  AgentProcess spoke(dir_.Join("s503"),
                     AgentYaml("spoke-503", "",
                               "spoke:\n  enabled: true\n  port: " + std::to_string(port) +
                                   "\n  linux:\n    proc_root: " + dir_.Join("no-proc") +
                                   "\n    sys_root: " + dir_.Join("no-sys") + "\n"));
  ASSERT_TRUE(spoke.Start()) << spoke.output();
  HttpResult page = HttpCall(port, "GET", "/pattoo-agent-linux/10");
  EXPECT_EQ(page.status, 503) << page.body;
  EXPECT_NE(page.body.find("cannot read this host's data"), std::string::npos) << page.body;
  EXPECT_EQ(HttpCall(port, "GET", "/strix/v1/points").status, 503);
  EXPECT_EQ(spoke.Stop(), 0);
}

TEST_F(AgentTest, HubReadsPattoosOwnPageFromAnIndependentServer) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() /
                         1000 * 1000;
  std::string page = R"({"pattoo_agent_timestamp": 1575789070108,
  "pattoo_agent_id": "cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763",
  "pattoo_agent_polling_interval": 10000,
  "pattoo_datapoints": {"key_value_pairs": {
      "0": ["disk_partition", "sda1"], "1": ["pattoo_agent_polling_interval", "10000"],
      "2": ["pattoo_agent_hostname", "myhost.example.org"],
      "3": ["pattoo_agent_id", "cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763"],
      "4": ["pattoo_agent_polled_target", "myhost.example.org"],
      "5": ["pattoo_agent_program", "pattoo_agent_os_autonomousd"],
      "6": ["pattoo_key", "disk_io_read_bytes"], "7": ["pattoo_data_type", 64],
      "8": ["pattoo_value", 522239488], "9": ["pattoo_timestamp", TS],
      "10": ["pattoo_checksum", "053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9"],
      "11": ["pattoo_key", "cpu_times_percent_user"], "12": ["pattoo_data_type", 101],
      "13": ["pattoo_value", 2.7],
      "14": ["pattoo_checksum", "e310a3482ea3db3dedc188a54917d20329621cecb97be52925c4f2d2af2ff6b1"]},
    "datapoint_pairs": [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 11, 12, 13, 9, 14]]}})";
  page.replace(page.find("TS"), 2, std::to_string(now_ms));
  ::mkdir(dir_.Join("www").c_str(), 0755);
  ::mkdir(dir_.Join("www/pattoo-agent-linux").c_str(), 0755);
  std::ofstream(dir_.Join("www/pattoo-agent-linux/1")) << page;
  const int web = FreePort();
  pid_t py = ::fork();
  if (py == 0) {
    ::execlp("python3", "python3", "-m", "http.server", std::to_string(web).c_str(), "--bind",
             "127.0.0.1", "--directory", dir_.Join("www").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_TRUE(
      WaitFor([&] { return HttpCall(web, "GET", "/pattoo-agent-linux/1").status == 200; }, 10s));
  AgentProcess hub(dir_.Join("h"),
                   AgentYaml("py-hub",
                             "  pat:\n    type: hub\n    interval: 1s\n    targets:\n"
                             "      - {ip_address: 127.0.0.1, ip_bind_port: " +
                                 std::to_string(web) + "}\n"));
  ASSERT_TRUE(hub.Start()) << hub.output();
  ASSERT_TRUE(WaitFor([&] { return !Ticks("disk_io_read_bytes").empty(); }, 15s)) << hub.output();
  auto io = Select(port_, reader_, "disk_io_read_bytes");
  ASSERT_EQ(io.size(), 1u);
  EXPECT_EQ(io[0].kind, "counter64");
  EXPECT_EQ(io[0].ts.back(), now_ms);
  EXPECT_DOUBLE_EQ(io[0].values.back(), 522239488);
  EXPECT_EQ(io[0].labels["host"], "myhost.example.org");
  EXPECT_EQ(io[0].labels["disk_partition"], "sda1");
  EXPECT_EQ(io[0].labels["pattoo_checksum"],
            "053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9");
  auto user = Select(port_, reader_, "cpu_times_percent_user");
  ASSERT_EQ(user.size(), 1u);
  EXPECT_EQ(user[0].kind, "gauge");
  EXPECT_DOUBLE_EQ(user[0].values.back(), 2.7);
  EXPECT_EQ(hub.Stop(), 0);
  ::kill(py, SIGTERM);
  ::waitpid(py, nullptr, 0);
}

TEST_F(AgentTest, ModbusRegistersArriveInStrixdAfterTheMultiplier) {
  // pymodbus (Debian's python3-pymodbus), not libmodbus, serves the registers.
  const int plc = FreePort();
  const std::string script =
      std::string(std::getenv("STRIX_SOURCE_DIR")) + "/src/agents/modbus/testdata/modbus_server.py";
  pid_t py = ::fork();
  if (py == 0) {
    ::execl("/usr/bin/python3", "python3", script.c_str(), "--port", std::to_string(plc).c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto listening = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(plc));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    return ok;
  };
  ASSERT_TRUE(WaitFor(listening, 15s));
  AgentProcess agent(
      dir_.Join("m"),
      AgentYaml("plc-host",
                "  plc:\n    type: modbus\n    interval: 1s\n    targets: [\"127.0.0.1:" +
                    std::to_string(plc) +
                    "\"]\n    unit: 1\n    holding_registers:\n"
                    "      - {name: temp, address: 0, type: int16, multiplier: 0.1}\n"
                    "      - {name: flow_be, address: 1, type: float32}\n"
                    "      - {name: flow_le, address: 3, type: float32, word_order: little}\n"
                    "      - {name: big, address: 5, type: uint32}\n"
                    "      - {name: energy, address: 10, type: uint32, kind: counter}\n"
                    "      - {name: broken, address: 40, type: float32}\n"
                    "      - {name: missing, address: 5000, type: uint16}\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return Ticks("modbus_energy").size() >= 2; }, 20s)) << agent.output();
  auto one = [&](const std::string& sel) {
    auto s = Select(port_, reader_, sel);
    EXPECT_EQ(s.size(), 1u) << sel;
    return s.empty() ? Samples{} : s[0];
  };
  Samples temp = one("modbus_temp");
  EXPECT_DOUBLE_EQ(temp.values.back(), -123.4);  // -1234 x 0.1
  EXPECT_EQ(temp.labels["host"], "plc-host");
  EXPECT_NEAR(one("modbus_flow_be").values.back(), 123.456, 1e-4);
  EXPECT_NEAR(one("modbus_flow_le").values.back(), 123.456, 1e-4);
  EXPECT_DOUBLE_EQ(one("modbus_big").values.back(), 3000000000.0);
  Samples energy = one("modbus_energy");
  EXPECT_EQ(energy.kind, "counter32");
  EXPECT_GT(energy.values.back(), energy.values.front()) << "the counter advances";
  // A NaN register and an out-of-range address are gaps, never 0.
  EXPECT_TRUE(Select(port_, reader_, "modbus_broken").empty());
  EXPECT_TRUE(Select(port_, reader_, "modbus_missing").empty());
  EXPECT_EQ(agent.Stop(), 0);
  ::kill(py, SIGTERM);
  ::waitpid(py, nullptr, 0);
}

// Debian's snmpd (not net-snmp's client code that strix-agent links) serves fixed values,
// the system scalars and the interface tables; strix-agent polls it with v2c and v3
// authPriv, and the values are read back through strixd with their SNMP-derived kinds.
TEST_F(AgentTest, SnmpValuesArriveInStrixdWithTheirKinds) {
  using agents::snmp::testing::SnmpdProcess;
  agents::snmp::testing::SnmpdOptions o;
  o.communities = {"strixpublic"};
  o.users = {{"mon", agents::snmp::AuthProtocol::kSha256, "authpass-123",
              agents::snmp::PrivProtocol::kAes128, "privpass-123"}};
  o.sys_name = "edge-switch";
  const std::string pass =
      std::string(std::getenv("STRIX_SOURCE_DIR")) + "/src/agents/snmp/testdata/pass_counter64.sh";
  o.extra_config = {
      "override .1.3.6.1.4.1.99999.1.0 counter 4294967290",
      "override .1.3.6.1.4.1.99999.3.0 uinteger 42",
      "override .1.3.6.1.4.1.99999.4.0 integer -5",
      "override .1.3.6.1.4.1.99999.5.0 octet_str \"firmware 1.2\"",
      "pass .1.3.6.1.4.1.99998 /bin/sh " + pass,
  };
  auto snmpd = SnmpdProcess::Start(std::move(o));
  ASSERT_TRUE(snmpd.ok()) << snmpd.status().ToString();
  const std::string target = "\"127.0.0.1:" + std::to_string((*snmpd)->port()) + "\"";
  std::ofstream(dir_.Join("community")) << "strixpublic\n";
  std::ofstream(dir_.Join("authpass")) << "authpass-123\n";
  AgentProcess agent(
      dir_.Join("s"),
      AgentYaml("snmp-host",
                "  sw:\n    type: snmp\n    interval: 1s\n    version: 2c\n"
                "    community_file: " +
                    dir_.Join("community") + "\n    targets: [" + target +
                    "]\n    oids:\n"
                    "      - {oid: .1.3.6.1.4.1.99999.1.0, name: c32}\n"
                    "      - {oid: .1.3.6.1.4.1.99998.1.0, name: c64}\n"
                    "      - {oid: .1.3.6.1.4.1.99999.3.0, name: g, multiplier: 0.5}\n"
                    "      - {oid: .1.3.6.1.4.1.99999.4.0, name: i}\n"
                    "      - {oid: .1.3.6.1.4.1.99999.5.0, name: fw}\n"
                    "      - {oid: .1.3.6.1.2.1.1.3.0, name: uptime}\n"
                    "      - {oid: .1.3.6.1.2.1.1.5.0, name: sysname}\n"
                    "      - {oid: .1.3.6.1.4.1.99999.77.0, name: absent}\n"
                    "      - {oid: .1.3.6.1.2.1.2.2.1.2, name: if_descr, walk: true}\n"
                    "      - {oid: .1.3.6.1.2.1.2.2.1.10, name: if_in_octets, walk: true}\n"
                    "  ifs:\n    type: snmp_ifmib\n    interval: 1s\n    version: 3\n"
                    "    username: mon\n    security_level: authPriv\n"
                    "    auth_protocol: SHA-256\n    auth_password_file: " +
                    dir_.Join("authpass") +
                    "\n    priv_protocol: AES-128\n    priv_password: privpass-123\n"
                    "    targets: [" +
                    target +
                    "]\n"
                    "  wrong:\n    type: snmp\n    interval: 1s\n    community: nope\n"
                    "    request_timeout: 200ms\n    retries: 0\n    targets: [" +
                    target + "]\n    oids: [{oid: .1.3.6.1.2.1.1.3.0, name: uptime}]\n"));
  ASSERT_TRUE(agent.Start()) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return Ticks("snmp_c32").size() >= 2; }, 20s)) << agent.output();
  ASSERT_TRUE(WaitFor([&] { return !Select(port_, reader_, "snmp_if_oper_status").empty(); }, 20s))
      << agent.output();
  auto one = [&](const std::string& sel) {
    auto v = Select(port_, reader_, sel);
    EXPECT_EQ(v.size(), 1u) << sel;
    return v.empty() ? Samples{} : v[0];
  };
  Samples c32 = one("snmp_c32");
  EXPECT_EQ(c32.kind, "counter32");
  EXPECT_DOUBLE_EQ(c32.values.back(), 4294967290.0);
  EXPECT_EQ(c32.labels["target"], "127.0.0.1:" + std::to_string((*snmpd)->port()));
  EXPECT_EQ(c32.labels["host"], "snmp-host");
  EXPECT_EQ(c32.labels["input"], "sw");
  Samples c64 = one("snmp_c64");
  EXPECT_EQ(c64.kind, "counter64");
  EXPECT_DOUBLE_EQ(c64.values.back(), 12345678901234.0);
  Samples g = one("snmp_g");
  EXPECT_EQ(g.kind, "gauge");
  EXPECT_DOUBLE_EQ(g.values.back(), 21.0);  // Gauge32 42 x 0.5
  EXPECT_DOUBLE_EQ(one("snmp_i").values.back(), -5.0);
  Samples fw = one("snmp_fw");
  EXPECT_EQ(fw.kind, "state");
  ASSERT_FALSE(fw.states.empty());
  EXPECT_EQ(fw.states.back(), "firmware 1.2");
  Samples sysname = one("snmp_sysname");
  ASSERT_FALSE(sysname.states.empty());
  EXPECT_EQ(sysname.states.back(), "edge-switch");
  Samples up = one("snmp_uptime");
  EXPECT_EQ(up.kind, "gauge");  // TimeTicks
  EXPECT_GT(up.values.back(), 0);
  // An OID the agent does not have is a gap, never 0.
  EXPECT_TRUE(Select(port_, reader_, "snmp_absent").empty());
  // A walked column: one series per row, tagged with the row's index; `lo` is index 1.
  Samples lo = one("snmp_if_descr{index=\"1\"}");
  ASSERT_FALSE(lo.states.empty());
  EXPECT_EQ(lo.states.back(), "lo");
  EXPECT_EQ(one("snmp_if_in_octets{index=\"1\"}").kind, "counter32");
  // IF-MIB over v3 authPriv: 64-bit counters from ifXTable, labels and status states.
  Samples hc = one("snmp_if_in_octets{if_name=\"lo\",input=\"ifs\"}");
  EXPECT_EQ(hc.kind, "counter64");
  EXPECT_EQ(hc.labels["if_index"], "1");
  EXPECT_EQ(hc.labels["if_descr"], "lo");
  Samples oper = one("snmp_if_oper_status{if_name=\"lo\"}");
  EXPECT_EQ(oper.kind, "state");
  ASSERT_FALSE(oper.states.empty());
  EXPECT_EQ(oper.states.back(), "up");
  // A wrong community gets no answer: no data, a counted timeout and a clear log line.
  EXPECT_TRUE(Select(port_, reader_, "snmp_uptime{input=\"wrong\"}").empty());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto t = Select(port_, reader_, "strix_agent_input_snmp_timeouts{name=\"wrong\"}");
        return !t.empty() && t[0].values.back() >= 1;
      },
      15s))
      << agent.output();
  EXPECT_EQ(agent.Stop(), 0);
  EXPECT_NE(agent.output().find("wrong community"), std::string::npos) << agent.output();
}

std::string RunCmd(const std::string& cmd, int* rc) {
  std::string out;
  if (FILE* p = ::popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof(buf), p)) out += buf;
    int st = ::pclose(p);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  return out;
}

// pattoo's daemon controls; SIGTERM (--stop) leaves the buffered rounds durable, and a
// --start later delivers them.
TEST_F(AgentTest, DaemonControlsAndSigtermKeepTheBuffer) {
  WriteScript(dir_.Join("scripts/probe.sh"), "echo 'dmn value=1'\n");
  ::mkdir(dir_.Join("d").c_str(), 0755);
  const std::string cfg = dir_.Join("d/strix-agent.yaml");
  std::ofstream(cfg) << AgentYaml("daemon-host",
                                  "  p:\n    type: script\n    interval: 1s\n"
                                  "    dir: " +
                                      dir_.Join("scripts") + "\n");
  const std::string bin = AgentPath() + " -c " + cfg;
  int rc = -1;
  EXPECT_EQ(server_->Stop(), 0);  // strixd down: rounds are only buffered
  std::string out = RunCmd(bin + " --start", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("strix-agent: started"), std::string::npos) << out;
  out = RunCmd(bin + " --status", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("strix-agent is running"), std::string::npos) << out;
  out = RunCmd(bin + " --start", &rc);
  EXPECT_NE(rc, 0) << "a second --start must refuse: " << out;
  std::this_thread::sleep_for(4s);
  out = RunCmd(bin + " --stop", &rc);
  EXPECT_EQ(rc, 0) << out;
  out = RunCmd(bin + " --status", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_NE(out.find("strix-agent is stopped"), std::string::npos) << out;
  // The rounds collected while strixd was down arrive after a restart of both.
  ASSERT_TRUE(server_->Start()) << server_->output();
  out = RunCmd(bin + " --start", &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(WaitFor([&] { return Ticks("dmn_value").size() >= 4; }, 20s));
  std::vector<int64_t> t = Ticks("dmn_value");
  // The first rounds (before --stop) are contiguous: none was lost at SIGTERM.
  int contiguous = 1;
  while (contiguous < static_cast<int>(t.size()) && t[contiguous] - t[contiguous - 1] == 1000)
    ++contiguous;
  EXPECT_GE(contiguous, 3);
  out = RunCmd(bin + " --stop", &rc);
  EXPECT_EQ(rc, 0) << out;

  // A stale pid file (the agent was kill -9'd) naming a live, unrelated process: the
  // daemon controls must see "stopped" and leave that process alone.
  pid_t other = ::fork();
  if (other == 0) {
    ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::ofstream(dir_.Join("daemon-host/state/strix-agent.pid")) << other << "\n";
  out = RunCmd(bin + " --status", &rc);
  EXPECT_EQ(rc, 3) << out;
  out = RunCmd(bin + " --stop --force", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(::kill(other, 0), 0) << "--stop signalled a process that is not the agent";
  // --status needs only the pid file: a token file that went missing does not matter.
  std::ofstream(cfg) << "agent:\n  state_dir: " << dir_.Join("daemon-host/state")
                     << "\nserver:\n  urls: [http://127.0.0.1:1]\n  token_file: /nonexistent\n";
  out = RunCmd(bin + " --status", &rc);
  EXPECT_EQ(rc, 3) << out;
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
}

// strixd accepts the connection (the kernel does) and never answers: a post hangs up to
// its 60 s timeout. SIGTERM must still stop the agent at once, with the round kept.
TEST_F(AgentTest, SigtermDuringAHangingPostStopsPromptly) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(lfd, 16), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int mute = ntohs(a.sin_port);
  WriteScript(dir_.Join("scripts/probe.sh"), "echo 'hang value=1'\n");
  std::string yaml = AgentYaml("hang-host",
                               "  p:\n    type: script\n    interval: 1s\n"
                               "    dir: " +
                                   dir_.Join("scripts") + "\n");
  yaml.replace(yaml.find("127.0.0.1:" + std::to_string(port_)), 10 + std::to_string(port_).size(),
               "127.0.0.1:" + std::to_string(mute));
  yaml.replace(yaml.find("timeout: 2s"), 11, "timeout: 60s");
  AgentProcess agent(dir_.Join("hang"), yaml);
  ASSERT_TRUE(agent.Start()) << agent.output();
  std::this_thread::sleep_for(3s);  // a round is buffered and its post hangs
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(agent.Stop(), 0) << agent.output();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << agent.output();
  // The hanging post's record (and the rounds behind it) are still buffered.
  const std::string out = agent.output();
  const size_t at = out.find("buffer is durable pending_records=");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_GT(std::atoi(out.c_str() + at + 34), 0) << out;
  ::close(lfd);
}

TEST_F(AgentTest, CheckConfigNamesFileAndLine) {
  const std::string path = dir_.Join("bad.yaml");
  std::ofstream(path) << "server:\n  urls: [http://127.0.0.1:1]\n  token: t\ninputs:\n  x:\n    "
                         "type: linux\n    interval: soon\n";
  std::string cmd = AgentPath() + " check-config -c " + path + " 2>&1";
  std::string out;
  int rc = -1;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof(buf), p)) out += buf;
    rc = ::pclose(p);
  }
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find(path + ":7:5: inputs.x.interval: expected a duration"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace strix::testing

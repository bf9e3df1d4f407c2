// Integration tests of the Modbus input against a real Modbus TCP server: pymodbus
// (Debian's python3-pymodbus), an implementation independent of libmodbus, run from
// testdata/modbus_server.py on a free 127.0.0.1 port and killed by its pid at the end of
// each test. The registers it holds are listed in the script. The tests pin the values
// read back (after word order and multiplier), that failures are gaps with one logged
// line per kind, that connections are kept, and the reconnect backoff after the server
// dies (driven by a ManualClock, so no test sleeps for the backoff).
#include "agents/modbus/modbus_input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"

namespace strix::agents::modbus {
namespace {

constexpr int64_t kNowMs = 1700000000000;

// Debian's interpreter, where python3-pymodbus is installed (a PATH python3 may be another
// one); STRIX_PYTHON3 overrides it.
std::string Python() {
  const char* p = std::getenv("STRIX_PYTHON3");
  return p && *p ? p : "/usr/bin/python3";
}

// testdata/modbus_server.py as a child process.
class PymodbusServer {
 public:
  ~PymodbusServer() { Kill(); }

  // Starts it on `port` (0: any free port) and waits until it listens. False on failure.
  bool Start(int port = 0) {
    const char* src = std::getenv("STRIX_SOURCE_DIR");
    if (src == nullptr) {
      ADD_FAILURE() << "run through ctest, which sets STRIX_SOURCE_DIR";
      return false;
    }
    const std::string script = std::string(src) + "/src/agents/modbus/testdata/modbus_server.py";
    const std::string python = Python();
    const std::string port_arg = std::to_string(port);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execl(python.c_str(), python.c_str(), script.c_str(), "--port", port_arg.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    // The script prints "port <n>" once it accepts connections.
    std::string line;
    bool ok = false;
    for (int waited = 0; waited < 30'000;) {
      pollfd p{fds[0], POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      waited += 100;
      if (r < 0) break;
      if (r == 0) continue;
      char c;
      if (::read(fds[0], &c, 1) != 1) break;  // exited
      if (c == '\n') {
        ok = line.starts_with("port ");
        if (ok) port_ = std::atoi(line.c_str() + 5);
        break;
      }
      line += c;
    }
    ::close(fds[0]);
    if (!ok) {
      ADD_FAILURE() << "pymodbus server did not start (" << python << " " << script
                    << "): is python3-pymodbus installed?";
      Kill();
    }
    return ok;
  }

  void Kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

CollectContext Ctx(Clock& clock, int64_t budget_ms = 5'000) {
  CollectContext ctx;
  ctx.now_ms = kNowMs;
  ctx.interval_ms = 10'000;
  ctx.deadline_mono_ns = clock.MonotonicNanos() + budget_ms * 1'000'000;
  return ctx;
}

const FieldValue* Find(const std::vector<Point>& points, std::string_view name) {
  for (const Point& p : points) {
    for (const Field& f : p.fields) {
      if (f.key == name) return &f.value;
    }
  }
  return nullptr;
}

RegisterSpec Reg(std::string name, Table table, uint16_t address, DataType type = DataType::kUint16,
                 double multiplier = 1) {
  RegisterSpec r;
  r.name = std::move(name);
  r.table = table;
  r.address = address;
  r.value.type = IsBitTable(table) ? DataType::kBool : type;
  r.value.multiplier = multiplier;
  return r;
}

ModbusOptions OneGroup(int port, std::vector<RegisterSpec> regs, uint8_t unit = 1) {
  ModbusOptions o;
  ModbusGroup g;
  g.name = "test";
  g.targets.push_back({"127.0.0.1", static_cast<uint16_t>(port)});
  g.unit = unit;
  g.registers = std::move(regs);
  o.groups.push_back(std::move(g));
  return o;
}

size_t CountLines(const log::LogCapture& cap, std::string_view a, std::string_view b) {
  size_t n = 0;
  for (const std::string& l : cap.Lines())
    if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) ++n;
  return n;
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int ClosedPort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

std::vector<RegisterSpec> KnownRegisters() {
  std::vector<RegisterSpec> r;
  r.push_back(Reg("neg_int16", Table::kHoldingRegister, 0, DataType::kInt16, 0.01));
  r.push_back(Reg("float_big", Table::kHoldingRegister, 1, DataType::kFloat32));
  r.push_back(Reg("float_little", Table::kHoldingRegister, 3, DataType::kFloat32));
  r.back().value.word_order = Order::kLittle;
  r.push_back(Reg("big_uint32", Table::kHoldingRegister, 5, DataType::kUint32));
  r.push_back(Reg("energy_total", Table::kHoldingRegister, 10, DataType::kUint32));
  r.back().value.kind = Kind::kCounter;
  r.push_back(Reg("voltage", Table::kHoldingRegister, 20, DataType::kUint16, 0.1));
  r.push_back(Reg("model", Table::kHoldingRegister, 30, DataType::kString));
  r.back().value.length = 4;
  r.push_back(Reg("answer", Table::kInputRegister, 0));
  r.push_back(Reg("neg_int64", Table::kInputRegister, 1, DataType::kInt64));
  r.push_back(Reg("pump_on", Table::kCoil, 0));
  r.push_back(Reg("fan_on", Table::kCoil, 1));
  r.push_back(Reg("alarm_on", Table::kCoil, 5));
  r.push_back(Reg("door_closed", Table::kDiscreteInput, 3));
  return r;
}

TEST(ModbusInput, KnownRegistersReadBackAfterMultiplierAndWordOrder) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  ModbusInput in(OneGroup(server.port(), KnownRegisters()));
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "modbus");
  EXPECT_EQ(out[0].tags, (std::vector<Tag>{{"target", "127.0.0.1:" + std::to_string(server.port())},
                                           {"unit", "1"}}));
  EXPECT_EQ(out[0].timestamp_ms, kNowMs);
  EXPECT_EQ(out[0].fields.size(), 13u);
  auto gauge = [&](std::string_view name) {
    const FieldValue* v = Find(out, name);
    EXPECT_NE(v, nullptr) << name;
    if (v == nullptr) return std::nan("");
    EXPECT_EQ(v->kind, ValueKind::kGauge) << name;
    return v->f;
  };
  EXPECT_DOUBLE_EQ(gauge("neg_int16"), -1234 * 0.01);
  EXPECT_EQ(gauge("float_big"), static_cast<double>(123.456f));
  EXPECT_EQ(gauge("float_little"), static_cast<double>(123.456f));
  EXPECT_EQ(gauge("big_uint32"), 3000000000.0);
  EXPECT_DOUBLE_EQ(gauge("voltage"), 231.5);
  EXPECT_EQ(gauge("answer"), 42.0);
  EXPECT_EQ(gauge("neg_int64"), -5.0);
  EXPECT_EQ(gauge("pump_on"), 1.0);
  EXPECT_EQ(gauge("fan_on"), 0.0);
  EXPECT_EQ(gauge("alarm_on"), 1.0);
  EXPECT_EQ(gauge("door_closed"), 1.0);
  ASSERT_NE(Find(out, "model"), nullptr);
  EXPECT_EQ(*Find(out, "model"), FieldValue::State("PLC-1"));
  ASSERT_NE(Find(out, "energy_total"), nullptr);
  EXPECT_EQ(*Find(out, "energy_total"), FieldValue::Counter32(65534));

  // Holding 0..6, 10..11, 20, 30..33; input 0..4; coils 0..1 and 5; discrete input 3.
  ModbusStats s = in.Stats();
  EXPECT_EQ(s.requests, 8u);
  EXPECT_EQ(s.requests_failed, 0u);
  EXPECT_EQ(s.connects, 1u);

  // The counter advances between rounds (carrying into the high word); the connection
  // is kept.
  for (uint32_t expect : {65535u, 65536u}) {
    out.clear();
    ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
    ASSERT_NE(Find(out, "energy_total"), nullptr);
    EXPECT_EQ(*Find(out, "energy_total"), FieldValue::Counter32(expect));
  }
  EXPECT_EQ(in.Stats().connects, 1u);
  EXPECT_EQ(in.Stats().requests, 24u);
}

TEST(ModbusInput, ByteOrderLittleReadsBackFromTheServer) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  std::vector<RegisterSpec> r;
  r.push_back(Reg("f_badc", Table::kHoldingRegister, 50, DataType::kFloat32));
  r.back().value.byte_order = Order::kLittle;
  r.push_back(Reg("f_dcba", Table::kHoldingRegister, 52, DataType::kFloat32));
  r.back().value.word_order = Order::kLittle;
  r.back().value.byte_order = Order::kLittle;
  ModbusInput in(OneGroup(server.port(), std::move(r)));
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
  ASSERT_NE(Find(out, "f_badc"), nullptr);
  ASSERT_NE(Find(out, "f_dcba"), nullptr);
  EXPECT_EQ(Find(out, "f_badc")->f, static_cast<double>(123.456f));
  EXPECT_EQ(Find(out, "f_dcba")->f, static_cast<double>(123.456f));
  EXPECT_EQ(in.Stats().requests, 1u) << "50..53 in one request";
}

TEST(ModbusInput, OutOfRangeAddressIsAGapLoggedOnceWhileOtherRequestsStillCome) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  ModbusInput in(OneGroup(
      server.port(),
      {Reg("neg_int16", Table::kHoldingRegister, 0, DataType::kInt16),
       Reg("missing", Table::kHoldingRegister, 5000), Reg("answer", Table::kInputRegister, 0)}));
  log::LogCapture cap;
  for (int round = 0; round < 3; ++round) {
    std::vector<Point> out;
    ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(Find(out, "missing"), nullptr) << "a failed read must be a gap, never 0";
    ASSERT_NE(Find(out, "neg_int16"), nullptr);
    EXPECT_EQ(Find(out, "neg_int16")->f, -1234);
    ASSERT_NE(Find(out, "answer"), nullptr);
    EXPECT_EQ(Find(out, "answer")->f, 42);
  }
  ModbusStats s = in.Stats();
  EXPECT_EQ(s.exceptions, 3u);
  EXPECT_EQ(s.requests_failed, 3u);
  EXPECT_EQ(s.connects, 1u) << "an exception answer must not drop the connection";
  EXPECT_EQ(s.backoff_skips, 0u);
  EXPECT_EQ(CountLines(cap, "modbus: read failed", "kind=exception"), 1u);
  EXPECT_EQ(CountLines(cap, "code=2", "address=5000"), 1u);
}

TEST(ModbusInput, NaNInAFloatRegisterIsAGapNotAValue) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  ModbusInput in(
      OneGroup(server.port(), {Reg("nan", Table::kHoldingRegister, 40, DataType::kFloat32),
                               Reg("voltage", Table::kHoldingRegister, 20)}));
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
  EXPECT_EQ(Find(out, "nan"), nullptr);
  ASSERT_NE(Find(out, "voltage"), nullptr);
  EXPECT_EQ(in.Stats().decode_errors, 1u);
  EXPECT_EQ(CountLines(cap, "modbus: value not representable", "register=nan"), 1u);
}

TEST(ModbusInput, GroupsWithTwoUnitsShareOneConnection) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  ModbusOptions o = OneGroup(server.port(), {Reg("answer", Table::kInputRegister, 0)}, 1);
  ModbusOptions other = OneGroup(server.port(), {Reg("answer", Table::kInputRegister, 0)}, 2);
  o.groups.push_back(other.groups[0]);
  ModbusInput in(o);
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].tags[1], (Tag{"unit", "1"}));
  EXPECT_EQ(out[1].tags[1], (Tag{"unit", "2"}));
  EXPECT_EQ(in.Stats().connects, 1u);
}

TEST(ModbusInput, AUnitTheGatewayCannotReachBacksOffAloneAndTheOtherUnitGoesOn) {
  PymodbusServer server;  // unit 99 answers exception 11, as a gateway with its device off
  ASSERT_TRUE(server.Start());
  ManualClock clock(1'000'000);
  ModbusOptions o = OneGroup(server.port(), {Reg("answer", Table::kInputRegister, 0),
                                             Reg("voltage", Table::kHoldingRegister, 20)});
  ModbusGroup off = o.groups[0];
  off.unit = 99;
  o.groups.push_back(off);
  o.backoff_min_ms = 1'000;
  ModbusInput in(o, clock);
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  ASSERT_EQ(out.size(), 1u) << "unit 1's point; unit 99 is a gap";
  EXPECT_EQ(out[0].tags[1].second, "1");
  ModbusStats s = in.Stats();
  EXPECT_EQ(s.exceptions, 1u) << "after exception 11 the unit's second request is not sent";
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(CountLines(cap, "modbus: read failed", "code=11"), 1u);

  // Within the unit's backoff: only unit 1 is asked, on the same connection.
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(in.Stats().requests, 5u);
  EXPECT_EQ(in.Stats().backoff_skips, 1u);
  EXPECT_EQ(in.Stats().connects, 1u);
  // After it: asked again.
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_EQ(in.Stats().requests, 8u);
  EXPECT_EQ(in.Stats().exceptions, 2u);
}

TEST(ModbusInput, AConnectionTheDeviceClosedWhileIdleIsReopenedWithoutAFailure) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  const int port = server.port();
  ManualClock clock(1'000'000);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.retries = 0;  // the resend must not need a retry
  ModbusInput in(o, clock);
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  ASSERT_NE(Find(out, "answer"), nullptr);
  // The device restarts between rounds: the kept connection is dead.
  server.Kill();
  ASSERT_TRUE(server.Start(port));
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  ASSERT_NE(Find(out, "answer"), nullptr) << "resent on a new connection in the same round";
  ModbusStats st = in.Stats();
  EXPECT_EQ(st.connects, 2u);
  EXPECT_EQ(st.io_errors, 1u) << "counted";
  EXPECT_EQ(st.backoff_skips, 0u);
  EXPECT_EQ(CountLines(cap, "modbus: read failed", "target="), 0u) << "not logged as a failure";
}

TEST(ModbusInput, RefusedConnectionIsAGapThenBackoff) {
  ManualClock clock(1'000'000);
  ModbusInput in(OneGroup(ClosedPort(), {Reg("answer", Table::kInputRegister, 0)}), clock);
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.Stats().refused, 1u);
  EXPECT_EQ(in.Stats().requests, 0u);
  EXPECT_EQ(CountLines(cap, "modbus: connect failed", "kind=refused"), 1u);
  // Within backoff_min: not even tried.
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.Stats().refused, 1u);
  EXPECT_EQ(in.Stats().backoff_skips, 1u);
  // After it: tried again, refused again, not logged again.
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.Stats().refused, 2u);
  EXPECT_EQ(CountLines(cap, "modbus: connect failed", "kind=refused"), 1u);
}

TEST(ModbusInput, ServerKilledMidRunGivesGapsThenRecoversAfterBackoff) {
  PymodbusServer server;
  ASSERT_TRUE(server.Start());
  const int port = server.port();
  ManualClock clock(1'000'000);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.backoff_min_ms = 1'000;
  o.backoff_max_ms = 4'000;
  ModbusInput in(o, clock);
  log::LogCapture cap;
  std::vector<Point> out;
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  ASSERT_NE(Find(out, "answer"), nullptr);

  server.Kill();
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty()) << "a dead server gives a gap";
  ModbusStats s = in.Stats();
  EXPECT_GE(s.io_errors + s.timeouts, 1u);
  EXPECT_EQ(s.refused, 1u) << "the retry reconnects once and is refused";
  EXPECT_EQ(CountLines(cap, "modbus: connect failed", "kind=refused"), 1u);

  // First failed round: 1 s backoff.
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_EQ(in.Stats().backoff_skips, 1u);
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());  // still down: second failed round
  EXPECT_EQ(in.Stats().refused, 2u);
  EXPECT_TRUE(out.empty());

  // Second failed round: 2 s backoff; the server is back meanwhile.
  ASSERT_TRUE(server.Start(port));
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty()) << "still within the doubled backoff";
  EXPECT_EQ(in.Stats().backoff_skips, 2u);
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  ASSERT_NE(Find(out, "answer"), nullptr);
  EXPECT_EQ(Find(out, "answer")->f, 42);
  EXPECT_EQ(in.Stats().connects, 2u);
  EXPECT_EQ(CountLines(cap, "modbus: target recovered", "target=127.0.0.1"), 1u);

  // Recovered: the next failure is logged again, and backoff starts over at 1 s.
  server.Kill();
  out.clear();
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(CountLines(cap, "modbus: connect failed", "kind=refused"), 2u);
  ASSERT_TRUE(server.Start(port));
  clock.Advance(1'000);
  ASSERT_TRUE(in.Collect(Ctx(clock), &out).ok());
  EXPECT_NE(Find(out, "answer"), nullptr);
}

// A listener on 127.0.0.1 that accepts nothing; with `fill`, its backlog is full, so a
// connect to it hangs (the kernel drops the SYN). Returns the socket; *port is its port.
int SilentListener(int* port, bool fill) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(s, fill ? 0 : 8) != 0)
    return -1;
  socklen_t len = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  if (fill) {
    for (int i = 0; i < 4; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a));  // left open: fills the queue
    }
    ::usleep(100'000);
  }
  return s;
}

TEST(ModbusInput, SilentDeviceTimesOutAsAGapWithinTheRequestTimeout) {
  // A listener that never accepts: the kernel completes the connect, nobody answers.
  int port = 0;
  const int s = SilentListener(&port, false);
  ASSERT_GE(s, 0);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.request_timeout_ms = 100;
  o.retries = 1;
  ModbusInput in(o);
  log::LogCapture cap;
  std::vector<Point> out;
  const int64_t start = Clock::Real().MonotonicNanos();
  ASSERT_TRUE(in.Collect(Ctx(Clock::Real()), &out).ok());
  const int64_t took_ms = (Clock::Real().MonotonicNanos() - start) / 1'000'000;
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.Stats().timeouts, 2u) << "the request and its one retry";
  EXPECT_LT(took_ms, 1'000);
  EXPECT_EQ(CountLines(cap, "modbus: read failed", "kind=timeout"), 1u);
  ::close(s);
}

TEST(ModbusInput, DeadlineShortensTheRequestTimeoutAndSkipsTheRest) {
  int port = 0;
  const int s = SilentListener(&port, false);
  ASSERT_GE(s, 0);
  ModbusOptions o =
      OneGroup(port, {Reg("a", Table::kInputRegister, 0), Reg("b", Table::kHoldingRegister, 0)});
  o.request_timeout_ms = 10'000;
  ModbusInput in(o);
  std::vector<Point> out;
  const int64_t start = Clock::Real().MonotonicNanos();
  Status st = in.Collect(Ctx(Clock::Real(), 200), &out);
  const int64_t took_ms = (Clock::Real().MonotonicNanos() - start) / 1'000'000;
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(out.empty());
  EXPECT_LT(took_ms, 1'000) << "the 10 s request timeout must be capped by the deadline";
  EXPECT_EQ(in.Stats().deadline_skips, 2u) << "the request cut short and the one not sent";
  EXPECT_EQ(in.Stats().timeouts, 0u) << "cut by the round, not the device's timeout";
  EXPECT_EQ(in.Stats().backoff_skips, 0u);
  // No backoff: the next round tries again at once.
  in.Collect(Ctx(Clock::Real(), 50), &out).IgnoreError();
  EXPECT_EQ(in.Stats().backoff_skips, 0u);
  EXPECT_EQ(in.Stats().connects, 2u);
  ::close(s);
}

TEST(ModbusInput, AConnectCutShortByTheDeadlineIsNoBackoff) {
  int port = 0;
  const int s = SilentListener(&port, true);
  ASSERT_GE(s, 0);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.request_timeout_ms = 5'000;
  ModbusInput in(o);
  std::vector<Point> out;
  Status st = in.Collect(Ctx(Clock::Real(), 150), &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.Stats().timeouts, 0u) << st.ToString();
  EXPECT_GE(in.Stats().deadline_skips, 1u);
  in.Collect(Ctx(Clock::Real(), 150), &out).IgnoreError();
  EXPECT_EQ(in.Stats().backoff_skips, 0u) << "the round was short, not the device at fault";
  ::close(s);
}

TEST(ModbusInput, SilentTargetsTakeTurnsAtTheStartOfTheRound) {
  // Two devices that never answer, a round with room for one request timeout: the one
  // read first gets a full timeout, the other is cut. The order rotates, so each gets its
  // full timeout (and its failure logged) in turn rather than one starving the other.
  int pa = 0, pb = 0;
  const int sa = SilentListener(&pa, false), sb = SilentListener(&pb, false);
  ASSERT_GE(sa, 0);
  ASSERT_GE(sb, 0);
  ModbusOptions o;
  ModbusGroup g;
  g.targets = {{"127.0.0.1", static_cast<uint16_t>(pa)}, {"127.0.0.1", static_cast<uint16_t>(pb)}};
  g.registers = {Reg("answer", Table::kInputRegister, 0)};
  o.groups.push_back(std::move(g));
  o.request_timeout_ms = 100;
  o.retries = 0;
  o.backoff_min_ms = 1;
  o.backoff_max_ms = 1;
  ModbusInput in(o);
  log::LogCapture cap;
  std::vector<Point> out;
  for (int round = 0; round < 2; ++round) {
    ::usleep(5'000);  // past the 1 ms backoff
    in.Collect(Ctx(Clock::Real(), 180), &out).IgnoreError();
  }
  EXPECT_EQ(in.Stats().timeouts, 2u);
  EXPECT_EQ(CountLines(cap, "kind=timeout", "target=127.0.0.1:" + std::to_string(pa)), 1u);
  EXPECT_EQ(CountLines(cap, "kind=timeout", "target=127.0.0.1:" + std::to_string(pb)), 1u);
  ::close(sa);
  ::close(sb);
}

TEST(ModbusInput, ADeviceThatTimedOutIsNotExcusedByTheDeadlineCuttingItsRetry) {
  // The first request gets its full 100 ms and times out (the device's fault); the retry
  // is cut by the round's deadline. The target backs off all the same.
  int port = 0;
  const int s = SilentListener(&port, false);
  ASSERT_GE(s, 0);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.request_timeout_ms = 100;
  o.retries = 1;
  ModbusInput in(o);
  std::vector<Point> out;
  in.Collect(Ctx(Clock::Real(), 150), &out).IgnoreError();
  EXPECT_EQ(in.Stats().timeouts, 1u);
  EXPECT_GE(in.Stats().deadline_skips, 1u);
  in.Collect(Ctx(Clock::Real()), &out).IgnoreError();
  EXPECT_EQ(in.Stats().backoff_skips, 1u) << "backoff_min (1 s) has not passed";
  EXPECT_TRUE(out.empty());
  ::close(s);
}

TEST(ModbusInput, StopEndsARequestWithoutWaitingForItsTimeout) {
  int port = 0;
  const int s = SilentListener(&port, false);
  ASSERT_GE(s, 0);
  ModbusOptions o = OneGroup(port, {Reg("answer", Table::kInputRegister, 0)});
  o.request_timeout_ms = 10'000;
  ModbusInput in(o);
  std::stop_source stop;
  CollectContext ctx = Ctx(Clock::Real(), 20'000);
  ctx.stop = stop.get_token();
  std::thread stopper([&] {
    ::usleep(200'000);
    stop.request_stop();
  });
  std::vector<Point> out;
  const int64_t start = Clock::Real().MonotonicNanos();
  Status st = in.Collect(ctx, &out);
  const int64_t took_ms = (Clock::Real().MonotonicNanos() - start) / 1'000'000;
  stopper.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_LT(took_ms, 2'000) << "the stop shuts the socket down; the 10 s timeout is not waited";
  EXPECT_EQ(in.Stats().io_errors + in.Stats().timeouts, 0u) << "stopping is no device failure";
  ::close(s);
}

TEST(ModbusInput, StopRequestedReturnsCancelled) {
  ManualClock clock(1'000'000);
  ModbusInput in(OneGroup(ClosedPort(), {Reg("answer", Table::kInputRegister, 0)}), clock);
  std::stop_source stop;
  stop.request_stop();
  CollectContext ctx = Ctx(clock);
  ctx.stop = stop.get_token();
  std::vector<Point> out;
  EXPECT_EQ(in.Collect(ctx, &out).code(), StatusCode::kCancelled);
  EXPECT_EQ(in.Stats().refused, 0u) << "nothing tried after the stop";
}

}  // namespace
}  // namespace strix::agents::modbus

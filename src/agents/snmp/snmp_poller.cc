// The asynchronous SNMP poller (see snmp_poller.h).
//
// Each request becomes a Job: a net-snmp session opened when the job starts and closed
// when it ends, and a plan (the GET batches still to send, the walk in progress). A job
// has at most one PDU outstanding; the loop below keeps up to max_in_flight jobs active,
// waits with poll(2) on their sockets, lets net-snmp read answers (which land in the job
// through Callback) and retransmit (snmp_sess_timeout), then advances every job that got
// an answer. All net-snmp calls hold internal::Mutex(); callbacks run inside
// snmp_sess_read2/snmp_sess_timeout and only copy the answer into the job.
#include "agents/snmp/snmp_poller.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include "agents/snmp/internal/netsnmp.h"

namespace strix::agents::snmp {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Localised keys are derived per engine by net-snmp; the Ku (the password hashed with the
// auth protocol, ~1 MB of hashing) is the same for every target: computed once.
std::map<std::tuple<AuthProtocol, std::string>, std::string>& KuCache() {
  static std::map<std::tuple<AuthProtocol, std::string>, std::string> c;
  return c;
}

const oid* AuthOid(AuthProtocol p, size_t* len) {
  switch (p) {
    case AuthProtocol::kMd5:
      *len = OID_LENGTH(usmHMACMD5AuthProtocol);
      return usmHMACMD5AuthProtocol;
    case AuthProtocol::kSha1:
      *len = OID_LENGTH(usmHMACSHA1AuthProtocol);
      return usmHMACSHA1AuthProtocol;
    case AuthProtocol::kSha224:
      *len = OID_LENGTH(usmHMAC128SHA224AuthProtocol);
      return usmHMAC128SHA224AuthProtocol;
    case AuthProtocol::kSha256:
      *len = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
      return usmHMAC192SHA256AuthProtocol;
    case AuthProtocol::kSha384:
      *len = OID_LENGTH(usmHMAC256SHA384AuthProtocol);
      return usmHMAC256SHA384AuthProtocol;
    case AuthProtocol::kSha512:
      *len = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
      return usmHMAC384SHA512AuthProtocol;
    case AuthProtocol::kNone:
      break;
  }
  *len = OID_LENGTH(usmNoAuthProtocol);
  return usmNoAuthProtocol;
}

const oid* PrivOid(PrivProtocol p, size_t* len) {
  switch (p) {
    case PrivProtocol::kDes:
      *len = OID_LENGTH(usmDESPrivProtocol);
      return usmDESPrivProtocol;
    case PrivProtocol::kAes128:
      *len = OID_LENGTH(usmAESPrivProtocol);
      return usmAESPrivProtocol;
    case PrivProtocol::kAes192:
      *len = OID_LENGTH(usmAES192PrivProtocol);
      return usmAES192PrivProtocol;
    case PrivProtocol::kAes256:
      *len = OID_LENGTH(usmAES256PrivProtocol);
      return usmAES256PrivProtocol;
    case PrivProtocol::kNone:
      break;
  }
  *len = OID_LENGTH(usmNoPrivProtocol);
  return usmNoPrivProtocol;
}

// Fills key/key_len (capacity in *key_len) with the Ku of password; needs Mutex().
bool Ku(AuthProtocol proto, const std::string& password, u_char* key, size_t* key_len) {
  auto& cache = KuCache();
  auto it = cache.find({proto, password});
  if (it == cache.end()) {
    size_t len = 0;
    const oid* p = AuthOid(proto, &len);
    u_char buf[USM_AUTH_KU_LEN > 64 ? USM_AUTH_KU_LEN : 64];
    size_t buf_len = sizeof(buf);
    if (generate_Ku(p, static_cast<u_int>(len), reinterpret_cast<const u_char*>(password.data()),
                    password.size(), buf, &buf_len) != SNMPERR_SUCCESS) {
      return false;
    }
    it = cache
             .emplace(std::make_tuple(proto, password),
                      std::string(reinterpret_cast<char*>(buf), buf_len))
             .first;
  }
  if (it->second.size() > *key_len) return false;
  std::memcpy(key, it->second.data(), it->second.size());
  *key_len = it->second.size();
  return true;
}

// v3 engine IDs learnt, by peer ("udp:host:port"), shared by every Poller: needs Mutex().
std::map<std::string, std::string>& EngineIds() {
  static std::map<std::string, std::string> ids;
  return ids;
}

std::string ReportMessage(const VarBind& vb, const std::string& user) {
  // usmStats (RFC 3414) .1.3.6.1.6.3.15.1.1.<n>.0
  static const Oid kUsmStats = {1, 3, 6, 1, 6, 3, 15, 1, 1};
  const std::string u = "'" + user + "'";
  if (OidStartsWith(vb.oid, kUsmStats) && vb.oid.size() > kUsmStats.size()) {
    switch (vb.oid[kUsmStats.size()]) {
      case 1:
        return "security level not supported for user " + u + " (usmStatsUnsupportedSecLevels)";
      case 2:
        return "not in time window (usmStatsNotInTimeWindows)";
      case 3:
        return "unknown user name " + u + " (usmStatsUnknownUserNames)";
      case 4:
        return "unknown engine ID (usmStatsUnknownEngineIDs)";
      case 5:
        return "authentication failure for user " + u +
               ": wrong auth password or auth protocol (usmStatsWrongDigests)";
      case 6:
        return "decryption failure for user " + u +
               ": wrong privacy password or privacy protocol (usmStatsDecryptionErrors)";
    }
  }
  return "the agent reported " + FormatOid(vb.oid);
}

std::string Millis(int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// One BER TLV at p (short or long length form) within [p, end): its tag and value; p
// moves past it. False when malformed.
bool ReadTlv(const uint8_t*& p, const uint8_t* end, uint8_t* tag, const uint8_t** val,
             size_t* len) {
  if (end - p < 2) return false;
  *tag = p[0];
  size_t n = p[1];
  p += 2;
  if (n & 0x80) {
    const size_t bytes = n & 0x7f;
    if (bytes == 0 || bytes > 4 || static_cast<size_t>(end - p) < bytes) return false;
    n = 0;
    for (size_t i = 0; i < bytes; ++i) n = (n << 8) | *p++;
  }
  if (static_cast<size_t>(end - p) < n) return false;
  *val = p;
  *len = n;
  p += n;
  return true;
}

// The engine discovery request of RFC 3414 section 4: a reportable noAuthNoPriv GET with
// no varbinds, no user and an empty engine ID, which an agent answers with a REPORT
// (usmStatsUnknownEngineIDs) carrying its msgAuthoritativeEngineID.
std::string DiscoveryRequest(uint32_t id) {
  const uint8_t b0 = id >> 24, b1 = id >> 16, b2 = id >> 8, b3 = id;
  const uint8_t msg[] = {
      0x30, 0x3e,                                      // SNMPv3Message
      0x02, 0x01, 0x03,                                // msgVersion 3
      0x30, 0x11,                                      // msgGlobalData
      0x02, 0x04, b0,   b1,   b2,   b3,                //   msgID
      0x02, 0x03, 0x00, 0xff, 0xe3,                    //   msgMaxSize 65507
      0x04, 0x01, 0x04,                                //   msgFlags: reportable
      0x02, 0x01, 0x03,                                //   msgSecurityModel: USM
      0x04, 0x10, 0x30, 0x0e,                          // msgSecurityParameters
      0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,  //   engine "", boots, time
      0x04, 0x00, 0x04, 0x00, 0x04, 0x00,              //   user, auth, priv ""
      0x30, 0x14,                                      // ScopedPDU
      0x04, 0x00, 0x04, 0x00,                          //   contextEngineID, name
      0xa0, 0x0e,                                      //   GetRequest-PDU
      0x02, 0x04, b0,   b1,   b2,   b3,                //     request-id
      0x02, 0x01, 0x00, 0x02, 0x01, 0x00,              //     error-status, index
      0x30, 0x00,                                      //     no varbinds
  };
  return std::string(reinterpret_cast<const char*>(msg), sizeof(msg));
}

// The msgAuthoritativeEngineID of an SNMPv3 message; "" when it is not one.
std::string EngineIdOf(const uint8_t* p, size_t n) {
  const uint8_t* end = p + n;
  uint8_t tag;
  const uint8_t* v;
  size_t len;
  if (!ReadTlv(p, end, &tag, &v, &len) || tag != 0x30) return "";
  const uint8_t* q = v;
  const uint8_t* qend = v + len;
  if (!ReadTlv(q, qend, &tag, &v, &len) || tag != 0x02 || len != 1 || v[0] != 3) return "";
  if (!ReadTlv(q, qend, &tag, &v, &len) || tag != 0x30) return "";  // msgGlobalData
  if (!ReadTlv(q, qend, &tag, &v, &len) || tag != 0x04) return "";  // security parameters
  const uint8_t* r = v;
  const uint8_t* rend = v + len;
  if (!ReadTlv(r, rend, &tag, &v, &len) || tag != 0x30) return "";
  r = v;
  rend = v + len;
  if (!ReadTlv(r, rend, &tag, &v, &len) || tag != 0x04) return "";
  if (len < 5 || len > 32) return "";  // RFC 3411: 5..32 octets
  return std::string(reinterpret_cast<const char*>(v), len);
}

std::string PeerName(const Target& t) {
  return t.host.find(':') != std::string::npos ? "udp6:[" + t.host + "]:" + std::to_string(t.port)
                                               : "udp:" + t.host + ":" + std::to_string(t.port);
}

// Resolves a target to a numeric address: an IPv6 literal (the host has a ':') over udp6,
// anything else over udp (IPv4), as net-snmp would; `cache` holds this round's answers
// by host, so a host name is looked up once per round whatever number of targets use it.
struct Resolved {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string numeric;  // the address as text
  std::string error;
};
const Resolved& Resolve(const std::string& host, std::map<std::string, Resolved>* cache) {
  auto [it, inserted] = cache->try_emplace(host);
  if (!inserted) return it->second;
  Resolved& r = it->second;
  addrinfo hints{};
  const bool v6 = host.find(':') != std::string::npos;
  hints.ai_family = v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  if (v6) hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    if (res) ::freeaddrinfo(res);
    r.error = "cannot resolve " + host + (v6 ? "" : " to an IPv4 address") + ": " +
              (rc != 0 ? ::gai_strerror(rc) : "no address");
    return r;
  }
  std::memcpy(&r.addr, res->ai_addr, res->ai_addrlen);
  r.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  char text[INET6_ADDRSTRLEN] = {};
  const void* a =
      v6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&r.addr)->sin6_addr)
         : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&r.addr)->sin_addr);
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, a, text, sizeof(text));
  r.numeric = text;
  return r;
}

}  // namespace

std::string_view PollErrorName(PollError e) {
  switch (e) {
    case PollError::kNone:
      return "none";
    case PollError::kTimeout:
      return "timeout";
    case PollError::kAuth:
      return "auth";
    case PollError::kResolve:
      return "resolve";
    case PollError::kProtocol:
      return "protocol";
    case PollError::kDeadline:
      return "deadline";
    case PollError::kCancelled:
      return "cancelled";
    case PollError::kOther:
      return "other";
  }
  return "?";
}

struct PollJob {
  const PollRequest* req = nullptr;
  PollResult* res = nullptr;
  void* sess = nullptr;
  int sock = -1;
  bool done = false;
  bool closing = false;  // callbacks after this are ignored (session being closed)
  std::string engine_key;
  // The numeric transport address ("udp:192.0.2.1:161", "udp6:[2001:db8::1]:161"),
  // resolved before the loop, outside the lock; or why it could not be.
  std::string peer;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string resolve_error;
  // v3 engine discovery, before the session is opened (our own UDP socket).
  int probe_fd = -1;
  int probe_attempts = 0;

  std::deque<std::vector<size_t>> get_batches;  // indexes into req->gets
  std::vector<size_t> batch;                    // the batch outstanding
  size_t walk = 0;                              // the walk in progress (== walks.size(): none)
  Oid cursor;
  long max_repetitions = 0;  // GETBULK's, halved on each tooBig (0: the target's)

  bool waiting = false;  // a PDU is outstanding
  int64_t sent_ns = 0;   // when it was sent
  int64_t check_ns = 0;  // when to call snmp_sess_timeout next

  // Filled by Callback.
  bool got = false;
  int op = 0;
  int command = 0;
  long errstat = 0, errindex = 0;
  std::vector<VarBind> vbs;
  int sec_errno = 0;
};

namespace {

int Callback(int op, netsnmp_session* s, int /*reqid*/, netsnmp_pdu* pdu, void* magic) {
  auto* job = static_cast<PollJob*>(magic);
  if (job == nullptr || job->closing || job->done) return 1;
  if (op == NETSNMP_CALLBACK_OP_SEC_ERROR) {
    job->sec_errno = s ? s->s_snmp_errno : 0;
    return 1;  // a REPORT or a timeout follows
  }
  if (op == NETSNMP_CALLBACK_OP_RESEND) return 1;
  job->got = true;
  job->op = op;
  job->vbs.clear();
  if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != nullptr) {
    job->command = pdu->command;
    job->errstat = pdu->errstat;
    job->errindex = pdu->errindex;
    for (netsnmp_variable_list* v = pdu->variables; v; v = v->next_variable)
      job->vbs.push_back(internal::FromVariable(v));
  }
  return 1;
}

}  // namespace

Poller::Poller(PollerOptions o) : options_(o) {
  if (options_.max_in_flight == 0) options_.max_in_flight = 1;
  if (options_.max_oids_per_get == 0) options_.max_oids_per_get = 1;
}

Poller::~Poller() = default;

int64_t Poller::RoundDeadline(int64_t now_mono_ns, int64_t round_deadline_ns) {
  constexpr int64_t kMarginNs = 50'000'000;
  const int64_t left = round_deadline_ns - now_mono_ns;
  if (left <= 0) return round_deadline_ns;
  return round_deadline_ns - std::min(kMarginNs, left / 10);
}

void Poller::Poll(std::span<const PollRequest> requests, int64_t deadline_mono_ns,
                  std::stop_token stop, std::vector<PollResult>* results) {
  internal::EnsureNetsnmp();
  results->assign(requests.size(), PollResult{});
  std::vector<PollJob> jobs(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    PollJob& j = jobs[i];
    j.req = &requests[i];
    j.res = &(*results)[i];
    j.res->gets.resize(j.req->gets.size());
    for (size_t k = 0; k < j.req->gets.size(); ++k) {
      j.res->gets[k].oid = j.req->gets[k];
      j.res->gets[k].type = VarType::kNull;
    }
    j.res->walks.resize(j.req->walks.size());
    for (size_t k = 0; k < j.req->gets.size(); k += options_.max_oids_per_get) {
      std::vector<size_t> b;
      for (size_t m = k; m < std::min(k + options_.max_oids_per_get, j.req->gets.size()); ++m)
        b.push_back(m);
      j.get_batches.push_back(std::move(b));
    }
  }
  // Name lookups before the loop and outside net-snmp's lock (which every poller in the
  // process shares): a slow DNS server delays this round only.
  {
    std::map<std::string, Resolved> resolved;
    for (PollJob& j : jobs) {
      if (stop.stop_requested() || NowNs() >= deadline_mono_ns) break;  // the loop cuts them
      const Target& t = j.req->target->target;
      const Resolved& r = Resolve(t.host, &resolved);
      if (!r.error.empty()) {
        j.resolve_error = r.error;
        continue;
      }
      const std::string port = std::to_string(t.port);
      j.addr = r.addr;
      j.addr_len = r.len;
      if (j.addr.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&j.addr)->sin6_port = htons(t.port);
        j.peer = "udp6:[" + r.numeric + "]:" + port;
      } else {
        reinterpret_cast<sockaddr_in*>(&j.addr)->sin_port = htons(t.port);
        j.peer = "udp:" + r.numeric + ":" + port;
      }
    }
  }

  // --- helpers; every one that calls net-snmp holds the lock ---
  auto finish = [&](PollJob& j, PollError e, std::string msg) {
    if (j.done) return;
    j.done = true;
    j.res->error = e;
    j.res->message = std::move(msg);
    if (j.probe_fd >= 0) {
      ::close(j.probe_fd);
      j.probe_fd = -1;
      j.sock = -1;
    }
    if (j.sess != nullptr) {
      j.closing = true;
      // A session that failed or was cut short is closed, dropping what is pending.
      snmp_sess_close(j.sess);
      j.sess = nullptr;
    }
  };

  auto target_label = [](const PollJob& j) { return j.req->target->target.Label(); };

  // Sends the next PDU of the job (or finishes it); needs the lock.
  auto send_next = [&](PollJob& j) {
    const TargetSpec& t = *j.req->target;
    netsnmp_pdu* pdu = nullptr;
    j.batch.clear();
    if (!j.get_batches.empty()) {
      j.batch = std::move(j.get_batches.front());
      j.get_batches.pop_front();
      pdu = snmp_pdu_create(SNMP_MSG_GET);
      for (size_t k : j.batch) {
        std::vector<oid> o(j.req->gets[k].begin(), j.req->gets[k].end());
        snmp_add_null_var(pdu, o.data(), o.size());
      }
    } else {
      while (j.walk < j.req->walks.size() && j.req->walks[j.walk].empty()) ++j.walk;
      if (j.walk >= j.req->walks.size()) {
        // Everything read: a clean end keeps the engine ID for next time.
        if (t.credentials.version == Version::kV3 && j.sess != nullptr) {
          netsnmp_session* s = snmp_sess_session(j.sess);
          if (s && s->securityEngineIDLen > 0)
            EngineIds()[j.engine_key].assign(reinterpret_cast<char*>(s->securityEngineID),
                                             s->securityEngineIDLen);
        }
        j.done = true;
        j.closing = true;
        snmp_sess_close(j.sess);
        j.sess = nullptr;
        return;
      }
      if (j.cursor.empty()) j.cursor = j.req->walks[j.walk];
      if (t.credentials.version == Version::kV1) {
        pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
      } else {
        pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
        pdu->errstat = 0;  // non-repeaters
        if (j.max_repetitions == 0) j.max_repetitions = static_cast<long>(t.max_repetitions);
        pdu->errindex = j.max_repetitions;
      }
      std::vector<oid> o(j.cursor.begin(), j.cursor.end());
      snmp_add_null_var(pdu, o.data(), o.size());
    }
    j.got = false;
    j.sec_errno = 0;
    if (snmp_sess_async_send(j.sess, pdu, Callback, &j) == 0) {
      netsnmp_session* s = snmp_sess_session(j.sess);
      const int err = s ? s->s_snmp_errno : SNMPERR_GENERR;
      snmp_free_pdu(pdu);
      if (j.got && j.op == NETSNMP_CALLBACK_OP_TIMED_OUT) return;  // handled by the caller
      if (err == SNMPERR_TIMEOUT) {
        j.got = true;
        j.op = NETSNMP_CALLBACK_OP_TIMED_OUT;  // the v3 engine probe got no answer
        return;
      }
      finish(j, PollError::kOther, std::string("cannot send: ") + snmp_api_errstring(err));
      return;
    }
    ++j.res->pdus;
    j.waiting = true;
    j.sent_ns = NowNs();
    j.check_ns = j.sent_ns + t.timeout_ms * 1'000'000;
  };

  auto start = [&](PollJob& j) {
    const TargetSpec& t = *j.req->target;
    const Credentials& c = t.credentials;
    netsnmp_session s;
    snmp_sess_init(&s);
    std::string peer = j.peer;
    j.engine_key = PeerName(t.target);
    s.peername = peer.data();
    s.timeout = static_cast<long>(t.timeout_ms * 1000);
    s.retries = t.retries;
    s.callback = Callback;
    s.callback_magic = &j;
    std::string user = c.username, context = c.context, engine;
    size_t auth_len = 0, priv_len = 0;
    std::vector<oid> auth_oid, priv_oid;
    switch (c.version) {
      case Version::kV1:
      case Version::kV2c:
        s.version = c.version == Version::kV1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
        s.community = reinterpret_cast<u_char*>(const_cast<char*>(c.community.data()));
        s.community_len = c.community.size();
        break;
      case Version::kV3: {
        s.version = SNMP_VERSION_3;
        s.securityName = user.data();
        s.securityNameLen = user.size();
        s.contextName = context.data();
        s.contextNameLen = context.size();
        s.securityModel = SNMP_SEC_MODEL_USM;
        s.securityLevel = c.level == SecurityLevel::kNoAuthNoPriv ? SNMP_SEC_LEVEL_NOAUTH
                          : c.level == SecurityLevel::kAuthNoPriv ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                                                  : SNMP_SEC_LEVEL_AUTHPRIV;
        if (c.level != SecurityLevel::kNoAuthNoPriv) {
          const oid* a = AuthOid(c.auth, &auth_len);
          auth_oid.assign(a, a + auth_len);
          s.securityAuthProto = auth_oid.data();
          s.securityAuthProtoLen = auth_len;
          s.securityAuthKeyLen = sizeof(s.securityAuthKey);
          if (!Ku(c.auth, c.auth_password, s.securityAuthKey, &s.securityAuthKeyLen)) {
            finish(j, PollError::kOther, "cannot derive the auth key");
            return;
          }
        }
        if (c.level == SecurityLevel::kAuthPriv) {
          const oid* p = PrivOid(c.priv, &priv_len);
          priv_oid.assign(p, p + priv_len);
          s.securityPrivProto = priv_oid.data();
          s.securityPrivProtoLen = priv_len;
          s.securityPrivKeyLen = sizeof(s.securityPrivKey);
          if (!Ku(c.auth, c.priv_password, s.securityPrivKey, &s.securityPrivKeyLen)) {
            finish(j, PollError::kOther, "cannot derive the privacy key");
            return;
          }
        }
        auto it = EngineIds().find(peer);
        if (it != EngineIds().end()) {
          engine = it->second;
          // net-snmp keeps one USM user per (engine, name) for the whole process and
          // keeps its keys when a later session names the same user: drop it, so this
          // session's keys (its passwords now) are the ones used.
          while (struct usmUser* old = usm_get_user(reinterpret_cast<const u_char*>(engine.data()),
                                                    engine.size(), user.c_str())) {
            usm_remove_user(old);
            usm_free_user(old);
          }
          s.securityEngineID = reinterpret_cast<u_char*>(engine.data());
          s.securityEngineIDLen = engine.size();
          s.contextEngineID = reinterpret_cast<u_char*>(engine.data());
          s.contextEngineIDLen = engine.size();
        }
        // No probe at open: the engine ID is learnt with the first request.
        s.flags |= SNMP_FLAGS_DONT_PROBE;
        break;
      }
    }
    j.sess = snmp_sess_open(&s);
    if (j.sess == nullptr) {
      const int err = s.s_snmp_errno;
      finish(j, err == SNMPERR_BAD_ADDRESS ? PollError::kResolve : PollError::kOther,
             std::string("cannot open a session to ") + target_label(j) + ": " +
                 snmp_api_errstring(err));
      return;
    }
    netsnmp_transport* tr = snmp_sess_transport(j.sess);
    j.sock = tr ? tr->sock : -1;
    send_next(j);
  };

  auto timeout_message = [&](const PollJob& j) {
    const TargetSpec& t = *j.req->target;
    std::string m =
        "no answer after " + std::to_string(t.retries + 1) + " attempts of " + Millis(t.timeout_ms);
    if (t.credentials.version == Version::kV3) {
      m += " — unreachable, or a wrong privacy password (the agent drops what it cannot decrypt)";
    } else {
      m += " — wrong community or unreachable";
    }
    // An answer net-snmp refused on the way (a bad digest, a wrong engine time) says more.
    if (j.sec_errno != 0)
      m += std::string(" (an answer was refused: ") + snmp_api_errstring(j.sec_errno) + ")";
    return m;
  };

  // Handles the answer (or timeout) that Callback stored; needs the lock.
  auto advance = [&](PollJob& j) {
    j.got = false;
    j.waiting = false;
    const TargetSpec& t = *j.req->target;
    if (j.op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
      finish(j, PollError::kTimeout, timeout_message(j));
      return;
    }
    if (j.op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
      finish(j, PollError::kOther, "send failed or disconnected");
      return;
    }
    if (j.command == SNMP_MSG_REPORT) {
      if (j.vbs.empty()) {
        finish(j, PollError::kAuth, "the agent sent an empty REPORT");
      } else {
        // An agent that no longer knows the engine ID we sent (it was reinstalled) is
        // asked again next time.
        static const Oid kUnknownEngineIds = {1, 3, 6, 1, 6, 3, 15, 1, 1, 4};
        if (OidStartsWith(j.vbs[0].oid, kUnknownEngineIds)) EngineIds().erase(j.engine_key);
        finish(j, PollError::kAuth, ReportMessage(j.vbs[0], t.credentials.username));
      }
      return;
    }
    if (j.command != SNMP_MSG_RESPONSE) {
      finish(j, PollError::kProtocol, "unexpected PDU type " + std::to_string(j.command));
      return;
    }
    if (!j.batch.empty()) {  // a GET
      if (j.errstat == SNMP_ERR_NOSUCHNAME && j.errindex >= 1 &&
          static_cast<size_t>(j.errindex) <= j.batch.size()) {
        // v1: one absent OID fails the PDU; drop it and ask for the rest again.
        const size_t bad = j.batch[j.errindex - 1];
        j.res->gets[bad].type = VarType::kNoSuchObject;
        j.batch.erase(j.batch.begin() + (j.errindex - 1));
        if (!j.batch.empty()) j.get_batches.push_front(std::move(j.batch));
      } else if (j.errstat == SNMP_ERR_TOOBIG && j.batch.size() > 1) {
        const size_t half = j.batch.size() / 2;
        std::vector<size_t> a(j.batch.begin(), j.batch.begin() + half);
        std::vector<size_t> b(j.batch.begin() + half, j.batch.end());
        j.get_batches.push_front(std::move(b));
        j.get_batches.push_front(std::move(a));
      } else if (j.errstat != SNMP_ERR_NOERROR) {
        if (j.res->warning.empty()) {
          const size_t at = j.errindex >= 1 && static_cast<size_t>(j.errindex) <= j.batch.size()
                                ? j.batch[j.errindex - 1]
                                : j.batch[0];
          j.res->warning = std::string("the agent answered ") + snmp_errstring(j.errstat) +
                           " for " + FormatOid(j.req->gets[at]);
        }
      } else if (j.vbs.size() != j.batch.size()) {
        finish(j, PollError::kProtocol,
               "the agent answered " + std::to_string(j.vbs.size()) + " varbinds for " +
                   std::to_string(j.batch.size()));
        return;
      } else {
        for (size_t k = 0; k < j.batch.size(); ++k) {
          VarBind& dst = j.res->gets[j.batch[k]];
          dst = std::move(j.vbs[k]);
          dst.oid = j.req->gets[j.batch[k]];
        }
      }
      send_next(j);
      return;
    }
    // A walk step.
    const Oid& root = j.req->walks[j.walk];
    std::vector<VarBind>& rows = j.res->walks[j.walk];
    bool end = false;
    if (j.errstat == SNMP_ERR_NOSUCHNAME) {
      end = true;  // v1: past the last object
    } else if (j.errstat == SNMP_ERR_TOOBIG && j.max_repetitions > 1) {
      j.max_repetitions /= 2;  // the answer did not fit: ask for fewer rows, same place
      send_next(j);
      return;
    } else if (j.errstat != SNMP_ERR_NOERROR) {
      if (j.res->warning.empty())
        j.res->warning = std::string("the agent answered ") + snmp_errstring(j.errstat) +
                         " while walking " + FormatOid(root);
      end = true;
    } else if (j.vbs.empty()) {
      end = true;
    }
    for (VarBind& vb : j.vbs) {
      if (end) break;
      if (vb.type == VarType::kEndOfMibView || !OidStartsWith(vb.oid, root) ||
          vb.oid.size() == root.size()) {
        end = true;
        break;
      }
      if (CompareOids(vb.oid, j.cursor) <= 0) {
        if (j.res->warning.empty())
          j.res->warning = "the agent returned a non-increasing OID " + FormatOid(vb.oid) +
                           " while walking " + FormatOid(root);
        end = true;
        break;
      }
      j.cursor = vb.oid;
      rows.push_back(std::move(vb));
    }
    if (end) {
      ++j.walk;
      j.cursor.clear();
    }
    send_next(j);
  };

  // v3 targets whose engine ID is unknown are first asked for it by a discovery request
  // on a socket of our own: net-snmp's probe would block this thread until it answers or
  // times out. Needs the lock.
  auto probe_send = [&](PollJob& j) {
    const std::string msg = DiscoveryRequest(static_cast<uint32_t>(
        (reinterpret_cast<uintptr_t>(&j) ^ static_cast<uintptr_t>(NowNs())) & 0x7fffffff));
    ++j.probe_attempts;
    j.check_ns = NowNs() + j.req->target->timeout_ms * 1'000'000;
    if (::send(j.probe_fd, msg.data(), msg.size(), 0) < 0) {
      // ECONNREFUSED from an earlier ICMP port unreachable, or no route: try again at the
      // next timeout like a lost datagram.
    }
  };
  auto begin = [&](PollJob& j) {
    const TargetSpec& t = *j.req->target;
    j.engine_key = PeerName(t.target);
    if (!j.resolve_error.empty()) {
      finish(j, PollError::kResolve, j.resolve_error);
      return;
    }
    if (j.peer.empty()) {  // the lookups were cut short
      const bool cancelled = stop.stop_requested();
      finish(j, cancelled ? PollError::kCancelled : PollError::kDeadline,
             cancelled ? "cancelled: the agent is stopping"
                       : "the round's deadline came first (during name lookups)");
      return;
    }
    if (t.credentials.version != Version::kV3 || EngineIds().count(j.engine_key) != 0) {
      start(j);
      return;
    }
    // The probe goes to the address the session will use (same family as its transport).
    j.probe_fd = ::socket(j.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (j.probe_fd < 0 ||
        ::connect(j.probe_fd, reinterpret_cast<const sockaddr*>(&j.addr), j.addr_len) != 0) {
      finish(j, PollError::kOther, std::string("cannot open a socket: ") + std::strerror(errno));
      return;
    }
    j.sock = j.probe_fd;
    probe_send(j);
  };
  // Reads the answers to a discovery request; on an engine ID, opens the session.
  auto probe_read = [&](PollJob& j) {
    uint8_t buf[2048];
    while (j.probe_fd >= 0) {
      const ssize_t n = ::recv(j.probe_fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      std::string engine = EngineIdOf(buf, static_cast<size_t>(n));
      if (engine.empty()) continue;
      EngineIds()[j.engine_key] = std::move(engine);
      ::close(j.probe_fd);
      j.probe_fd = -1;
      j.sock = -1;
      start(j);
    }
  };

  // --- the loop ---
  size_t next = 0;
  std::vector<PollJob*> active;
  std::vector<pollfd> pfds;
  netsnmp_large_fd_set fdset;
  netsnmp_large_fd_set_init(&fdset, 1024);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(internal::Mutex());
      while (active.size() < options_.max_in_flight && next < jobs.size()) {
        PollJob& j = jobs[next++];
        begin(j);
        if (!j.done) active.push_back(&j);
      }
      // Jobs whose answer (or timeout) came synchronously in start/send_next.
      for (PollJob* j : active) {
        while (!j->done && j->got) advance(*j);
      }
    }
    active.erase(std::remove_if(active.begin(), active.end(), [](PollJob* j) { return j->done; }),
                 active.end());
    if (active.empty() && next >= jobs.size()) break;
    const int64_t now = NowNs();
    const bool cancelled = stop.stop_requested();
    if (cancelled || now >= deadline_mono_ns) {
      std::lock_guard<std::mutex> lock(internal::Mutex());
      const PollError e = cancelled ? PollError::kCancelled : PollError::kDeadline;
      const std::string msg =
          cancelled ? "cancelled: the agent is stopping" : "the round's deadline came first";
      for (PollJob* j : active) finish(*j, e, msg);
      for (; next < jobs.size(); ++next) finish(jobs[next], e, msg);
      break;
    }
    int64_t wake = deadline_mono_ns;
    pfds.clear();
    for (PollJob* j : active) {
      wake = std::min(wake, j->check_ns);
      if (j->sock >= 0) pfds.push_back({j->sock, POLLIN, 0});
    }
    int64_t wait_ms = std::clamp<int64_t>((wake - now + 999'999) / 1'000'000, 0, 100);
    int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(wait_ms));
    std::lock_guard<std::mutex> lock(internal::Mutex());
    if (n > 0) {
      int max_fd = 0;
      for (const pollfd& p : pfds) max_fd = std::max(max_fd, p.fd);
      netsnmp_large_fd_set_resize(&fdset, max_fd + 1);
      NETSNMP_LARGE_FD_ZERO(&fdset);
      for (const pollfd& p : pfds) {
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) netsnmp_large_fd_setfd(p.fd, &fdset);
      }
      for (PollJob* j : active) {
        if (j->probe_fd >= 0) {
          if (netsnmp_large_fd_is_set(j->probe_fd, &fdset)) probe_read(*j);
        } else if (j->sess != nullptr && j->sock >= 0 && netsnmp_large_fd_is_set(j->sock, &fdset)) {
          snmp_sess_read2(j->sess, &fdset);
        }
      }
    }
    const int64_t after = NowNs();
    for (PollJob* j : active) {
      if (!j->done && j->probe_fd >= 0 && after >= j->check_ns) {
        if (j->probe_attempts <= j->req->target->retries) {
          probe_send(*j);
        } else {
          finish(*j, PollError::kTimeout, timeout_message(*j));
        }
        continue;
      }
      if (j->done || j->got || j->sess == nullptr) continue;
      if (after >= j->check_ns) {
        snmp_sess_timeout(j->sess);
        j->check_ns = after + j->req->target->timeout_ms * 1'000'000;
        // A request net-snmp dropped without a callback (seen after security errors):
        // give up once every attempt's time has passed, and a little more.
        const TargetSpec& t = *j->req->target;
        if (!j->got &&
            after > j->sent_ns + (t.retries + 1) * t.timeout_ms * 1'000'000 + 500'000'000) {
          j->got = true;
          j->op = NETSNMP_CALLBACK_OP_TIMED_OUT;
        }
      }
    }
    for (PollJob* j : active) {
      while (!j->done && j->got) advance(*j);
    }
  }
  netsnmp_large_fd_set_cleanup(&fdset);
}

}  // namespace strix::agents::snmp

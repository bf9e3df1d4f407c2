// net-snmp's global initialisation and lock (see netsnmp.h).
#include "agents/snmp/internal/netsnmp.h"

#include <cstring>

namespace strix::agents::snmp::internal {

std::mutex& Mutex() {
  static std::mutex mu;
  return mu;
}

void EnsureNetsnmp() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::lock_guard<std::mutex> lock(Mutex());
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    // No MIB directories at start: init_snmp then loads no MIB file. ResolveOid adds the
    // search path when the first symbolic name is used.
    netsnmp_set_mib_directory("");
    // Errors are reported by the poller with context; net-snmp's own log lines on stderr
    // would only repeat them without the target: everything goes to a handler that drops
    // it (with no handler at all, init_snmp would log to stderr).
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_DEBUG);
    init_snmp("strix-agent");
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
  });
}

VarBind FromVariable(const netsnmp_variable_list* v) {
  VarBind vb;
  vb.oid.assign(v->name, v->name + v->name_length);
  switch (v->type) {
    case ASN_INTEGER:
      // A value without its storage (never from a well-formed PDU) is no value, not 0.
      if (v->val.integer == nullptr) break;
      vb.type = VarType::kInteger;
      vb.i = static_cast<int64_t>(*v->val.integer);
      break;
    case ASN_OCTET_STR:
    case ASN_OPAQUE:
    case ASN_IPADDRESS:
      vb.type = v->type == ASN_OCTET_STR ? VarType::kOctetString
                : v->type == ASN_OPAQUE  ? VarType::kOpaque
                                         : VarType::kIpAddress;
      if (v->val.string && v->val_len > 0)
        vb.bytes.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
      break;
    case ASN_NULL:
      vb.type = VarType::kNull;
      break;
    case ASN_OBJECT_ID:
      vb.type = VarType::kObjectId;
      if (v->val.objid) vb.oid_value.assign(v->val.objid, v->val.objid + v->val_len / sizeof(oid));
      break;
    case ASN_COUNTER:
    case ASN_GAUGE:  // also Unsigned32
    case ASN_TIMETICKS:
    case ASN_UINTEGER:  // SMIv1's UInteger32: a Gauge32 in SMIv2
      if (v->val.integer == nullptr) break;
      vb.type = v->type == ASN_COUNTER     ? VarType::kCounter32
                : v->type == ASN_TIMETICKS ? VarType::kTimeTicks
                                           : VarType::kGauge32;
      vb.u = static_cast<uint64_t>(*v->val.integer) & 0xffffffffu;
      break;
    case ASN_COUNTER64:
#ifdef ASN_OPAQUE_COUNTER64
    case ASN_OPAQUE_COUNTER64:
#endif
      if (v->val.counter64 == nullptr) break;
      vb.type = VarType::kCounter64;
      vb.u = (static_cast<uint64_t>(v->val.counter64->high) << 32) |
             (v->val.counter64->low & 0xffffffffu);
      break;
#ifdef ASN_OPAQUE_FLOAT
    case ASN_OPAQUE_FLOAT:
      if (v->val.floatVal == nullptr) break;
      vb.type = VarType::kFloat;
      vb.d = static_cast<double>(*v->val.floatVal);
      break;
#endif
#ifdef ASN_OPAQUE_DOUBLE
    case ASN_OPAQUE_DOUBLE:
      if (v->val.doubleVal == nullptr) break;
      vb.type = VarType::kFloat;
      vb.d = *v->val.doubleVal;
      break;
#endif
    case SNMP_NOSUCHOBJECT:
      vb.type = VarType::kNoSuchObject;
      break;
    case SNMP_NOSUCHINSTANCE:
      vb.type = VarType::kNoSuchInstance;
      break;
    case SNMP_ENDOFMIBVIEW:
      vb.type = VarType::kEndOfMibView;
      break;
    default:
      vb.type = VarType::kOther;
      break;
  }
  return vb;
}

}  // namespace strix::agents::snmp::internal

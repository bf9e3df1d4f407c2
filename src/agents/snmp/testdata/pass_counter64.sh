#!/bin/sh
# snmpd `pass` script for the SNMP tests: a fixed Counter64 at .1.3.6.1.4.1.99998.1.0
# (snmpd.conf `override` has no counter64 type).
OID=.1.3.6.1.4.1.99998.1.0
if [ "$1" = "-g" ] && [ "$2" = "$OID" ]; then
  echo "$OID"; echo counter64; echo 12345678901234
elif [ "$1" = "-n" ] && [ "$2" \< "$OID" ]; then
  echo "$OID"; echo counter64; echo 12345678901234
fi
exit 0

#!/bin/sh
# snmpd `pass` script for the SNMP tests: .1.3.6.1.4.1.99997.1.0 answers a Gauge32 after
# 2 s, so a client with a shorter timeout sees that request time out after others of the
# same round were answered (snmpd runs pass scripts synchronously).
OID=.1.3.6.1.4.1.99997.1.0
if [ "$1" = "-g" ] && [ "$2" = "$OID" ]; then
  sleep 2; echo "$OID"; echo gauge; echo 7
elif [ "$1" = "-n" ] && [ "$2" \< "$OID" ]; then
  sleep 2; echo "$OID"; echo gauge; echo 7
fi
exit 0

#!/bin/sh
# Line protocol with nanosecond timestamps (the default), one line without a timestamp.
echo 'cpu,host=web-1,cpu=cpu0 usage=97.5,procs=12i,bytes=18446744073709551615u,state="ok" 1700000000123456789'
echo '# a comment is ignored'
echo 'load one=0.25'

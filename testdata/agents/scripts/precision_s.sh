#!/bin/sh
# The first line changes the unit of the timestamps.
echo '# precision=s'
echo 'uptime seconds=12345i 1700000000'

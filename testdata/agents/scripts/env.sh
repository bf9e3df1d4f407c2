#!/bin/sh
# Reports what the script sees: extra environment, the timeout, stdin, a leaked fd, its
# process group and working directory.
leaked=0
if [ -n "$LEAK_FD" ] && [ "$(readlink /proc/$$/fd/$LEAK_FD 2>/dev/null)" = "$LEAK_PATH" ]; then
  leaked=1
fi
if read -r line; then eof=0; else eof=1; fi
pgid=$(cut -d' ' -f5 /proc/$$/stat)
own_group=0
[ "$pgid" = "$$" ] && own_group=1
echo "env,extra=$EXTRA interval_ms=${STRIX_INTERVAL_MS}i,timeout_ms=${STRIX_TIMEOUT_MS}i,leaked=${leaked}i,stdin_eof=${eof}i,own_group=${own_group}i,cwd=\"$(pwd)\""

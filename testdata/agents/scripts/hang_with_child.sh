#!/bin/sh
# Times out with a background child running: both must be killed.
sleep 1000 &
echo $! > "$CHILD_PID_FILE"
sleep 1000

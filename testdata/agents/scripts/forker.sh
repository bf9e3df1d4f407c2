#!/bin/sh
# Leaves a background child behind and exits at once; the child must not survive.
sleep 1000 &
echo $! > "$CHILD_PID_FILE"
echo 'forker v=1'

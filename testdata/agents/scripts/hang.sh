#!/bin/sh
# Never finishes: a child of the shell sleeps; the whole group must be killed.
echo 'hang v=1'
sleep 1000

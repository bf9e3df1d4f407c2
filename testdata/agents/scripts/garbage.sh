#!/bin/sh
# Two valid lines around garbage: the valid ones are kept.
echo 'good v=1'
echo 'this is not line protocol'
echo 'bad v=oops'
echo 'good v=2'

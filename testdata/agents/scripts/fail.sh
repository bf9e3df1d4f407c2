#!/bin/sh
# Valid output, then a failure: the output is used, the failure counted and logged.
echo 'failing v=1'
echo 'first problem' >&2
echo 'something broke' >&2
exit 3

#!/bin/sh
# JSON output: name -> number. Non-numbers are skipped and counted.
cat <<'JSON'
{"used_bytes": 123456789, "ratio": 0.25, "neg": -3, "big": 18446744073709551615,
 "label": "sda", "nested": {"x": 1}, "flag": true, "none": null, "list": [1]}
JSON

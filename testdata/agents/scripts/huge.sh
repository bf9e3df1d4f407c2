#!/bin/sh
# Endless output: killed when it passes max_output_bytes.
yes 'huge v=1'

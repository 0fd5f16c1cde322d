#!/usr/bin/env bash
# Prints the path of a python3 that can import boto3 (the image's, or Debian's python3-boto3),
# for the test scripts; exits 1 with a message when there is none.
set -euo pipefail
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import boto3' 2>/dev/null; then
    command -v "$candidate"
    exit 0
  fi
done
echo "no python3 with boto3 found (apt install python3-boto3)" >&2
exit 1

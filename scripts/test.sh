#!/usr/bin/env bash
# Builds stn4j and runs every test: the native tests (ctest: every ISA against portable C) and the JUnit suite
# (PyTorch golden fixtures, gradient checks, validation, bindings). Extra arguments go to Maven, e.g.
#   scripts/test.sh -Dstn4j.require=NATIVE_SCALAR,NATIVE_AVX2   (fail instead of skipping missing backends)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -ntp verify "$@"

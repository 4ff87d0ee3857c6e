#!/usr/bin/env bash
# Builds stn4j and runs every test: the native tests (ctest: every ISA against portable C) and the JUnit suite
# (PyTorch golden fixtures, gradient checks, validation, bindings). Extra arguments go to Maven.
# STN4J_REQUIRE=NAME,NAME (or ALL) makes a missing backend fail the run instead of skipping its tests (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mvn -B -ntp verify ${STN4J_REQUIRE:+-Dstn4j.require=$STN4J_REQUIRE} "$@"

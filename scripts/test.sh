#!/usr/bin/env bash
# Builds stn4j and runs every test: the library's (ctest: every ISA against portable C; JUnit: PyTorch golden fixtures,
# gradient checks, validation, bindings), then installs it and runs the command line's (cli/: its commands, errors and
# data, and its jar run with java -jar). Extra arguments go to both Maven runs (e.g. -Dtest=CliErrorsTest).
# STN4J_REQUIRE=NAME,NAME (or ALL) makes a missing backend fail the run instead of skipping its tests (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# a -Dtest=... that names classes of one build only must not fail the other
SELECT=(-Dsurefire.failIfNoSpecifiedTests=false)
echo "== library (mvn install: its tests, then the jar into the local repository for cli/)"
mvn -B -ntp install "${SELECT[@]}" ${STN4J_REQUIRE:+-Dstn4j.require=$STN4J_REQUIRE} "$@"
touch target/stn4j-installed.stamp # scripts/build-cli.sh (./stn4j) need not install it again
echo "== command line (cli/: mvn verify)"
(cd cli && mvn -B -ntp verify "${SELECT[@]}" "$@")

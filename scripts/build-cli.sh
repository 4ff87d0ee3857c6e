#!/usr/bin/env bash
# Builds what the command line needs and is missing or older than its sources, then prints the path of its jar:
#   1. the library, installed into the local Maven repository (mvn install, tests skipped: scripts/test.sh runs them);
#   2. cli/target/stn4j-cli-<version>.jar, the shaded command line built against it.
# Quiet when there is nothing to do (./stn4j calls it on every run); progress and Maven's errors go to stderr.
#   scripts/build-cli.sh           # builds if needed, prints the jar's path
#   scripts/build-cli.sh --force   # rebuilds both
set -euo pipefail
cd "$(dirname "$0")/.."

project_version() { sed -n 's:^  <version>\(.*\)</version>:\1:p' "$1" | head -1; } # the project's own version line
VERSION=$(project_version pom.xml)
CLI_VERSION=$(project_version cli/pom.xml)
if [ -z "$VERSION" ] || [ "$VERSION" != "$CLI_VERSION" ]; then
    echo "cli/pom.xml is at version '${CLI_VERSION}' but the library (pom.xml) at '${VERSION}': the command line is" \
         "built against the library of its own version; set cli/pom.xml's <version> to ${VERSION}" >&2
    exit 1
fi
JAR=cli/target/stn4j-cli-$VERSION.jar
# Written after each install of this checkout (scripts/test.sh writes it too): the library is rebuilt when a source
# file is newer, or when the installed jar is gone from the local repository.
STAMP=target/stn4j-installed.stamp
INSTALLED=${M2_REPO:-$HOME/.m2/repository}/io/github/stn4j/stn4j/$VERSION/stn4j-$VERSION.jar

# Maven 3.8's quiet batch mode still prints colour resets (ESC[0m) before any output: strip them from the logs
mvn_quiet() { mvn -B -ntp -q "$@" 2>&1 | sed -u 's/\x1b\[0m//g' >&2; }

# newer_than FILE PATH...: whether any file under the PATHs is newer than FILE (true when FILE is missing)
newer_than() {
    local ref=$1; shift
    [ -e "$ref" ] || return 0
    [ -n "$(find "$@" -newer "$ref" -type f -print -quit 2>/dev/null)" ]
}

mkdir -p target
# two launches at once (two terminals) must not run two Maven builds into the same target/
exec 9>target/.build-cli.lock
if command -v flock >/dev/null; then flock 9; fi

FORCE=${1:-}
# the JDK and the tools are looked for only when something must be built: a warm ./stn4j start skips it
BUILD_ENV=
build_env() { [ -n "$BUILD_ENV" ] || { source scripts/env.sh; BUILD_ENV=1; }; }
if [ "$FORCE" = --force ] || [ ! -e "$INSTALLED" ] \
        || newer_than "$STAMP" pom.xml CMakeLists.txt CMakePresets.json native src/main; then
    echo "stn4j: building and installing the library $VERSION (mvn install, a minute or two the first time) ..." >&2
    build_env
    mvn_quiet -DskipTests install
    touch "$STAMP"
fi
if [ "$FORCE" = --force ] || newer_than "$JAR" "$STAMP" cli/pom.xml cli/src/main cli/src/demo/fashion-mnist-subset; then
    echo "stn4j: building the command line (cli/: mvn package) ..." >&2
    build_env
    (cd cli && mvn_quiet -DskipTests package)
    [ -s "$JAR" ] || { echo "the cli build did not produce $JAR" >&2; exit 1; }
fi
echo "$PWD/$JAR"

#!/usr/bin/env bash
# Builds one jar carrying the native library of every platform that can be built here, and checks its contents:
#   linux-x86_64 (host, gcc), linux-aarch64 (cross, gcc-aarch64-linux-gnu; its native tests run under qemu-user,
#   NEON against portable C), windows-x86_64 (cross, mingw-w64; its native tests run under wine64 when wine works).
# macOS libraries cannot be built here: build them on a Mac (cmake --preset macos-arm64 / macos-x86_64) and drop them
# into target/native-all/native/<platform>/ before running this script with SKIP_CROSS=1 ... (see README).
# Output: target/stn4j-<version>.jar (the same artifact name as the host-only build), listed by scripts/check-jar.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# cross toolchains from Debian's packages (installed when missing and we may)
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(mingw-w64)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing ${need[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "cross builds need: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
        exit 1
    fi
fi

VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1) # the project's own version line
[ -n "$VERSION" ] || { echo "no project version in pom.xml" >&2; exit 1; }
OUT=target/native-all
rm -rf "$OUT"

cross() { # preset, then whether to run its tests (yes/no/try)
    local preset=$1 tests=$2 dir=target/cmake/$1
    echo "== $preset"
    cmake --preset "$preset" -DSTN4J_VERSION="$VERSION" -DSTN4J_RESOURCE_ROOT="$PWD/$OUT/native" >/dev/null
    cmake --build "$dir" --parallel >/dev/null
    case $tests in
        yes) ctest --test-dir "$dir" --output-on-failure ;;
        try)
            if WINEDEBUG=-all timeout 300 ctest --test-dir "$dir" --output-on-failure; then
                echo "$preset native tests passed under wine64"
            else
                echo "$preset native tests could not run here (wine64 missing or failing); the library was built"
            fi ;;
    esac
}
cross linux-aarch64 yes
cross windows-x86_64-mingw try

echo "== host build and jar (mvn -Pall-platforms package)"
mvn -B -ntp -q -Pall-platforms -DskipTests package
scripts/check-jar.sh "target/stn4j-$VERSION.jar" linux-x86_64 linux-aarch64 windows-x86_64

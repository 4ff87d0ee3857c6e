# Sourced by the other scripts: finds a JDK >= 22 and Maven, or stops with a message that says what to do.
# Order: $JAVA_HOME, then the newest JDK under /usr/lib/jvm, then `java` on PATH.

java_major() { # prints the feature version of the java at $1/bin/java, or nothing
    # the JDK's release file says it without starting a JVM (a third of a second each, paid by every ./stn4j run)
    local v
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
    if [ -n "$v" ]; then echo "$v"; return; fi
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

find_jdk() {
    local candidates=() best="" best_v=0 c v
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    for c in /usr/lib/jvm/*/; do candidates+=("${c%/}"); done
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
    for c in "${candidates[@]}"; do
        [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
        v=$(java_major "$c")
        [ -n "$v" ] || continue
        # keep $JAVA_HOME if it is recent enough; otherwise the newest
        if [ "$c" = "${JAVA_HOME:-}" ] && [ "$v" -ge 22 ]; then best=$c; best_v=$v; break; fi
        if [ "$v" -gt "$best_v" ]; then best=$c; best_v=$v; fi
    done
    if [ -z "$best" ] || [ "$best_v" -lt 22 ]; then
        echo "stn4j needs a JDK 22 or newer (found: ${best:-none}${best:+, version $best_v})." >&2
        echo "Install one (e.g. Temurin 25 under /usr/lib/jvm) or set JAVA_HOME to it." >&2
        exit 1
    fi
    export JAVA_HOME="$best"
    export PATH="$JAVA_HOME/bin:$PATH"
}

find_tools() {
    local missing=()
    command -v mvn >/dev/null 2>&1 || missing+=(maven)
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v cc >/dev/null 2>&1 || missing+=(gcc)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing ${missing[*]} ..." >&2
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "stn4j's build needs: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
            exit 1
        fi
    fi
}

find_jdk
find_tools

#!/usr/bin/env bash
# A consumer as a user would write it: a Maven project outside the repository that depends on the installed
# io.github.stn4j:stn4j, compiles the README's example exactly as the README shows it, and runs it twice: with the
# library on the class path (--enable-native-access=ALL-UNNAMED) and on the module path
# (--enable-native-access=io.github.stn4j). Both must print a native backend. Needs `mvn install` first
# (scripts/test.sh does it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/src/main/java"
python3 - "$DIR/src/main/java/Rotate.java" <<'PY'
import re, sys
m = re.search(r"```java\n(.*?)```", open("README.md").read(), re.S)
open(sys.argv[1], "w").write(m.group(1))
PY
cat > "$DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>22</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>io.github.stn4j</groupId><artifactId>stn4j</artifactId><version>$VERSION</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.16.0</version></plugin>
      <plugin><artifactId>maven-resources-plugin</artifactId><version>3.5.0</version></plugin>
      <plugin><artifactId>maven-dependency-plugin</artifactId><version>3.9.0</version></plugin>
    </plugins>
  </build>
</project>
POM
(cd "$DIR" && mvn -B -ntp -q compile dependency:build-classpath -Dmdep.outputFile=cp.txt)
CP=$(cat "$DIR/cp.txt")
echo "consumer's dependencies: $CP"
[ "$(echo "$CP" | tr ':' '\n' | wc -l)" = 1 ] || { echo "stn4j must have no runtime dependency"; exit 1; }
out1=$(java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$DIR/target/classes:$CP" Rotate 2>/dev/null)
echo "class path:  $out1"
out2=$(java --add-modules jdk.incubator.vector,io.github.stn4j --enable-native-access=io.github.stn4j \
    --module-path "$CP" -cp "$DIR/target/classes" Rotate 2>/dev/null)
echo "module path: $out2"
case "$out1$out2" in *NATIVE_*NATIVE_*) echo "consumer check: passed" ;; *) echo "consumer check: FAILED"; exit 1 ;; esac

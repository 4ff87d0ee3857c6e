#!/usr/bin/env bash
# Lists the native libraries inside a stn4j jar and checks that the given platforms are all there:
#   scripts/check-jar.sh target/stn4j-<version>.jar linux-x86_64 linux-aarch64 windows-x86_64
set -euo pipefail
JAR=$1; shift
echo "native libraries in $JAR:"
python3 - "$JAR" "$@" <<'PY'
import sys, zipfile
jar, wanted = sys.argv[1], sys.argv[2:]
found = {}
with zipfile.ZipFile(jar) as z:
    for i in z.infolist():
        parts = i.filename.split("/")
        if len(parts) == 3 and parts[0] == "native" and parts[2]:
            found[parts[1]] = (parts[2], i.file_size)
for p, (f, size) in sorted(found.items()):
    print(f"  {p:16s} {f:36s} {size:>9d} bytes")
missing = [p for p in wanted if p not in found]
if missing:
    sys.exit(f"missing platforms: {', '.join(missing)}")
print(f"all {len(wanted)} expected platforms present")
PY

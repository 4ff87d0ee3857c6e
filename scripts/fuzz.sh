#!/usr/bin/env bash
# Fuzzes the C API with libFuzzer under ASan + UBSan (clang from Debian's packages):
#   scripts/fuzz.sh 30        # seconds (CI runs 60); a longer run: scripts/fuzz.sh 3600
# A crash leaves crash-<hash> in target/fuzz/: rerun it with target/fuzz/fuzz_kernels <file>, then add the case to
# native/tests/test_kernels.c as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-30}
if ! command -v clang >/dev/null || [ ! -d /usr/lib/llvm-14/lib/clang ] || \
   ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
    else
        echo "fuzzing needs clang and libclang-rt-14-dev (sudo apt-get install clang libclang-rt-14-dev)" >&2; exit 1
    fi
fi
OUT=target/fuzz
mkdir -p "$OUT/corpus"
SRC=(native/src/dispatch.c native/src/kernels_scalar.c native/src/dense.c native/src/memory.c)
FLAGS=(-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -ffp-contract=off
       -Inative/include -Inative/src -DSTN4J_VERSION='"fuzz"')
OBJS=()
if [ "$(uname -m)" = x86_64 ]; then
    clang "${FLAGS[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -mavx2 -mfma -c native/src/kernels_avx2.c -o "$OUT/avx2.o"
    clang "${FLAGS[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -mavx512f -mavx512bw -mavx512vl -mavx2 -mfma \
        -c native/src/kernels_avx512.c -o "$OUT/avx512.o"
    OBJS=("$OUT/avx2.o" "$OUT/avx512.o")
    FLAGS+=(-DSTN_HAVE_AVX2=1 -DSTN_HAVE_AVX512=1)
fi
clang "${FLAGS[@]}" native/fuzz/fuzz_kernels.c "${SRC[@]}" "${OBJS[@]}" -lm -o "$OUT/fuzz_kernels"
echo "== fuzzing for ${SECONDS_TO_RUN}s"
(cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ./fuzz_kernels -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 corpus 2>&1 | tail -15)

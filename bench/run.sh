#!/usr/bin/env bash
# Builds the library and the benchmarks, runs JMH, prints the table.
#   bench/run.sh quick   # under 5 minutes: the shapes, modes and thread counts the targets name (bilinear: every backend
#                        # and peer; nearest, bicubic: AVX-512 and PyTorch)
#   bench/run.sh full    # about 41 minutes (limit 45): every shape, the other modes, 2 threads, heap tensors
#   bench/run.sh train   # about 6 minutes: one training step per model (TrainStepBench), native and Vector API
#   bench/run.sh fused   # about 10 minutes: the fused affine transformer beside gridSample / gridSampleBackward alone
#                        # (fused.py; docs/performance.md, "Fused affine transformer")
#   bench/run.sh targets # 37 min 55 s at 4d9feda (machine idle): the allocating calls against the
#                        # into-outputs ones (StnBench's call=OUTPUTS, CLOSED, GC), AVX-512 and the Vector API
#   bench/run.sh kernels # about 30 minutes (estimated; limit 35): stn4j against the faster of PyTorch 2.10 (JVM) and 1.13
#                        # (Python), warm and cold input, allocating and into-outputs calls, alternating rounds;
#                        # thread scaling; the Vector API against AVX2 (kernels.py, see bench/README.md)
#                        # KERNELS_ROUNDS (2), KERNELS_SHAPES ("mnist imagenet featmap large"), KERNELS_SHORT=1 (a
#                        # trial of the scripts with tiny iterations; its figures mean nothing)
# Results: bench/target/results-<profile>/*.csv, the table: bench/target/results-<profile>/table.md (targets:
# bench/target/results-targets/pairs.md, see pairs.py; kernels: table.md from kernels.py)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PROFILE=${1:-quick}
mvn -B -ntp -q -DskipTests install   # the library into the local repository, for the bench build
# JMH runs from the compiled classes and Maven's classpath: shading the peers' ~150 MB of jars into one benchmarks.jar
# (`mvn package` still does, for running by hand) took 30 s of the quick profile's 5 minutes on a fresh clone.
(cd bench && mvn -B -ntp -q -DskipTests compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
cd bench
# The forks run a copy of this checkout's own jar: the one in the local repository is shared by every checkout on the
# machine, and another checkout's `mvn install` replacing it mid-run failed a run here (ClassNotFoundException).
# this version's jar, by name: target/ can hold an older version's jar from before a version change (a run measured
# one once)
VERSION=$(sed -n 's#^  <version>\(.*\)</version>$#\1#p' ../pom.xml | head -1)
cp "../target/stn4j-$VERSION.jar" target/stn4j-lib.jar
sed -i 's#[^:]*/io/github/stn4j/stn4j/[^:]*\.jar#target/stn4j-lib.jar#' target/classpath.txt
OUT=target/results-$PROFILE
rm -rf "$OUT" && mkdir -p "$OUT" target/javacpp-cache
JAVA=(java -Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache -cp "target/classes:$(cat target/classpath.txt)"
      org.openjdk.jmh.Main -foe true)
# The first load of PyTorch's natives into an empty JavaCPP cache can crash: warm the cache once (targets runs no peer).
if [ "$PROFILE" != targets ]; then
    "${JAVA[@]}" -f 1 -wi 0 -i 1 -r 100ms -p shape=tiny 'PyTorchBench.forward' >/dev/null 2>&1 || true
fi
run() { # name, then JMH arguments
    local name=$1; shift
    echo "== $name: jmh $*"
    "${JAVA[@]}" "$@" -rf csv -rff "$OUT/$name.csv" > "$OUT/$name.log" 2>&1 || { tail -20 "$OUT/$name.log"; exit 1; }
}
# Every timed call is a sample and the table shows their median (JMH sample mode, p0.50), for stn4j and the peers
# alike: this VM's steal time throws outliers that moved the means of earlier runs' peers by 30-75 %. The tiny shape
# (calls of a fraction of a microsecond, where a sample's own timer calls would be a large part) keeps the mean.
# Runs are grouped by shape, stn4j's beside its peers': this VM's speed also drifts over minutes, so the runs a ratio
# divides are kept minutes apart, not half an hour.
if [ "$PROFILE" = quick ]; then
    # every target of the performance issue, once: 1 fork, short iterations (about 5 minutes)
    T=(-f 1 -wi 1 -w 500ms -i 3 -r 400ms -bm sample)
    # The Vector API needs seconds of C2 compilation before its intrinsics replace the (allocating) Java fallbacks:
    # with the short warm-up of the others it measures 2-10x slow. It gets its own, longer warm-up.
    TV=(-f 1 -wi 4 -w 1s -i 3 -r 400ms -bm sample)
    for shape in imagenet featmap; do
        run stn-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR \
            -p backend=NATIVE_AVX512,NATIVE_AVX2,NATIVE_SCALAR,JAVA_SCALAR 'StnBench'
        run pytorch-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR 'PyTorchBench'
        run stn-vector-$shape "${TV[@]}" -p shape=$shape -p mode=BILINEAR -p backend=VECTOR_API 'StnBench'
        run opencv-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR 'OpenCvBench'
        run boofcv-$shape "${T[@]}" -p shape=$shape 'BoofCvBench'
    done
    # float[] tensors: the layout BoofCV works on, and the one where VECTOR_API can gather
    run stn-heap-vector "${TV[@]}" -p shape=imagenet -p mode=BILINEAR -p memory=HEAP -p backend=VECTOR_API \
        'StnBench.forward$'
    run stn-modes "${T[@]}" -p shape=imagenet -p mode=NEAREST,BICUBIC -p backend=NATIVE_AVX512 \
        'StnBench.(forward|backward)'
    run pytorch-modes "${T[@]}" -p shape=imagenet -p mode=NEAREST,BICUBIC 'PyTorchBench.(forward|backward)'
    # (the Vector API's nearest and bicubic rows, no target's, are in full only: 24 s that kept quick near its 5 minutes)
    run stn-large "${T[@]}" -p shape=large -p mode=BILINEAR -p threads=1,2 -p backend=NATIVE_AVX512 \
        'StnBench.(forward|backward)'
    run pytorch-large "${T[@]}" -p shape=large -p mode=BILINEAR -p threads=1,2 'PyTorchBench.(forward|backward)'
    # 1 thread again beside 2: the table keeps stn-imagenet's 1-thread figure, the speed-up list pairs these two
    run stn-threads "${T[@]}" -p shape=imagenet -p mode=BILINEAR -p threads=1,2 -p backend=NATIVE_AVX512 \
        'StnBench.(forward|backward)'
    # (the affine-grid target is read from the imagenet and featmap runs above; mnist's affine rows are in full only:
    # quick took 5 min 9 s with them)
    run bandwidth "${T[@]}" -p shape=imagenet,featmap,large 'BandwidthBench'
    # JMH's gc.alloc.rate.norm spreads the harness's own allocation (about 6 KB per iteration) over the iteration's
    # calls: at imagenet (a few hundred calls) that reads as 12-130 B per call. The tiny shape's millions of calls
    # per iteration show what one call allocates.
    run alloc -f 1 -wi 2 -w 1s -i 1 -r 500ms -prof gc -p shape=tiny -p mode=BILINEAR \
        -p backend=NATIVE_AVX512,VECTOR_API 'StnBench'
elif [ "$PROFILE" = full ]; then
    # Peers run the modes stn4j runs at that shape (and PyTorch's affine grid once, not once per mode).
    for shape in tiny mnist imagenet featmap large; do
        BM=sample && [ $shape = tiny ] && BM=avgt
        T=(-f 2 -wi 2 -w 1s -i 4 -r 1s -bm $BM)
        TV=(-f 2 -wi 4 -w 1s -i 4 -r 1s -bm $BM) # the Vector API's longer warm-up, as in quick
        run stn-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR \
            -p backend=NATIVE_AVX512,NATIVE_AVX2,NATIVE_SCALAR,JAVA_SCALAR 'StnBench'
        if [ $shape != tiny ]; then
            run pytorch-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR 'PyTorchBench'
        fi
        run stn-vector-$shape "${TV[@]}" -p shape=$shape -p mode=BILINEAR -p backend=VECTOR_API 'StnBench'
        if [ $shape = imagenet ] || [ $shape = featmap ]; then
            run stn-modes-$shape "${T[@]}" -p shape=$shape -p mode=NEAREST,BICUBIC \
                -p backend=NATIVE_AVX512,NATIVE_AVX2 'StnBench.(forward|backward)'
            run pytorch-modes-$shape "${T[@]}" -p shape=$shape -p mode=NEAREST,BICUBIC 'PyTorchBench.(forward|backward)'
            run stn-modes-vector-$shape "${TV[@]}" -p shape=$shape -p mode=NEAREST,BICUBIC -p backend=VECTOR_API \
                'StnBench.(forward|backward)'
            run opencv-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR,NEAREST,BICUBIC 'OpenCvBench'
        fi
        if [ $shape = imagenet ] || [ $shape = large ]; then
            # 1 thread again beside 2, for the speed-up list (the table keeps stn-$shape's 1-thread figure)
            run stn-threads-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR -p threads=1,2 \
                -p backend=NATIVE_AVX512,NATIVE_AVX2 'StnBench.(forward|backward)'
            run pytorch-threads-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR -p threads=2 \
                'PyTorchBench.(forward|backward)'
            run stn-threads-vector-$shape "${TV[@]}" -p shape=$shape -p mode=BILINEAR -p threads=2 \
                -p backend=VECTOR_API 'StnBench.(forward|backward)'
        fi
        if [ $shape = large ]; then
            run opencv-$shape "${T[@]}" -p shape=$shape -p mode=BILINEAR 'OpenCvBench'
        fi
        if [ $shape = imagenet ]; then
            run stn-heap "${T[@]}" -p shape=imagenet -p mode=BILINEAR -p memory=HEAP \
                -p backend=NATIVE_AVX512,JAVA_SCALAR 'StnBench.forward'
        fi
        if [ $shape != tiny ]; then
            # float[] tensors: the layout BoofCV works on, and the one where VECTOR_API can gather
            run stn-heap-vector-$shape "${TV[@]}" -p shape=$shape -p mode=BILINEAR -p memory=HEAP \
                -p backend=VECTOR_API 'StnBench.forward'
            run boofcv-$shape "${T[@]}" -p shape=$shape 'BoofCvBench'
        fi
        run bandwidth-$shape "${T[@]}" -p shape=$shape 'BandwidthBench'
    done
elif [ "$PROFILE" = targets ]; then
    # The allocating calls (result tensors from stn4j's pool) against the into-outputs calls: CLOSED within 1.15x of
    # OUTPUTS (or 0.03 ms under 0.2 ms), GC within 1.5x for calls of 1 ms or more. One thread, off-heap tensors.
    # Each (backend, round, shape) runs OUTPUTS, then CLOSED, then GC back to back, so the two calls a ratio divides
    # are seconds apart, not minutes (this VM's speed drifts), and three rounds give three ratios per row.
    # pairs.py takes the median ratio over rounds. Per round and backend: 22 JMH invocations, 77 forks (at 4d9feda:
    # 37 min 55 s in all, about 13 for NATIVE_AVX512 and 25 for VECTOR_API with its longer warm-up).
    T=(-f 1 -wi 1 -w 500ms -i 3 -r 300ms -bm sample)
    TV=(-f 1 -wi 4 -w 1s -i 3 -r 300ms -bm sample) # the Vector API's longer warm-up, as in quick and full
    # GC: a 512 MB heap, which is also the pool's default limit, so the uncollected tensors make it collect every
    # few dozen calls. -jvmArgsAppend replaces @Fork's, so its flags are repeated here.
    GCJVM=(-jvmArgsAppend "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx512m")
    for backend in NATIVE_AVX512 VECTOR_API; do
        W=("${T[@]}") && [ $backend = VECTOR_API ] && W=("${TV[@]}")
        for round in 1 2 3; do
            for shape in mnist imagenet featmap large; do
                for call in OUTPUTS CLOSED GC; do
                    # the GC target is for calls of 1 ms or more: mnist's are shorter
                    [ $call = GC ] && [ $shape = mnist ] && continue
                    X=() && [ $call = GC ] && X=("${GCJVM[@]}")
                    # GC: until the first collection every result is fresh memory (page faults, ~17 ms per imagenet
                    # backward against 4 here), so its warm-up must outlast the pool's first fill of its 512 MB
                    WG=("${W[@]}") && [ $call = GC ] && [ $backend != VECTOR_API ] && WG=(-f 1 -wi 3 -w 1s -i 3 -r 300ms -bm sample)
                    P=(-p backend=$backend -p shape=$shape -p call=$call)
                    # file names: targets-<backend>-r<round>-<call>-<shape>-<ops>; pairs.py reads the round from
                    # the name, the rest from the CSV's parameters
                    run targets-$backend-r$round-$call-$shape-affine "${WG[@]}" "${X[@]}" "${P[@]}" -p mode=BILINEAR \
                        'StnBench.affineGrid$'
                    run targets-$backend-r$round-$call-$shape-sample "${WG[@]}" "${X[@]}" "${P[@]}" \
                        -p mode=BILINEAR,NEAREST,BICUBIC 'StnBench.(forward|backward)$'
                done
            done
        done
    done
    python3 pairs.py "$OUT"/targets-*.csv | tee "$OUT/pairs.md"
    exit 0
elif [ "$PROFILE" = kernels ]; then
    # Rounds of: per shape, stn4j (this host's default native backend, call OUTPUTS and CLOSED), PyTorch 2.10 in the
    # JVM and PyTorch 1.13 in Python back to back, warm and cold input (StnBench's and PyTorchBench's input=COLD, the
    # Python peer's the same: batches of their own data, 64 MB in all, one per call), every mode, forward, backward
    # and affine grid; then thread scaling and the Vector API beside AVX2. The ratios kernels.py divides come from one
    # round (minutes apart at most: this VM's speed drifts), its table takes their median over rounds.
    # Forks cost 1.5-3 s each before measuring (JVM start, 64 MB of cold data, PyTorch's natives), more on a loaded
    # machine: 1 fork of 1.5 s of iterations per benchmark, 2 rounds of 168 + 16 forks and 4 Python runs. Estimated
    # about 30 minutes on an idle machine from one round of the large shape timed under load (5 min 30 s there).
    ROUNDS=${KERNELS_ROUNDS:-2}
    SHAPES=${KERNELS_SHAPES:-mnist imagenet featmap large}
    T=(-f 1 -wi 1 -w 500ms -i 2 -r 500ms -bm sample)
    TV=(-f 1 -wi 4 -w 1s -i 2 -r 500ms -bm sample) # the Vector API's longer warm-up, as in quick
    PY=(--warmup 0.5 --measure 1.0)                 # the same seconds as T
    if [ "${KERNELS_SHORT:-0}" = 1 ]; then
        T=(-f 1 -wi 0 -i 1 -r 100ms -bm sample) && TV=("${T[@]}") && PY=(--warmup 0.05 --measure 0.1)
    fi
    NATIVE=NATIVE_AVX512 && grep -qw avx512f /proc/cpuinfo || NATIVE=NATIVE_AVX2
    for round in $(seq 1 "$ROUNDS"); do
        for shape in $SHAPES; do
            S=(-p shape=$shape -p input=WARM,COLD)
            run kernels-r$round-stn-$shape-affine "${T[@]}" "${S[@]}" -p backend=$NATIVE -p call=OUTPUTS,CLOSED \
                -p mode=BILINEAR 'StnBench.affineGrid$'
            run kernels-r$round-stn-$shape-sample "${T[@]}" "${S[@]}" -p backend=$NATIVE -p call=OUTPUTS,CLOSED \
                -p mode=BILINEAR,NEAREST,BICUBIC 'StnBench.(forward|backward)$'
            run kernels-r$round-pytorch-$shape-affine "${T[@]}" "${S[@]}" -p mode=BILINEAR 'PyTorchBench.affineGrid$'
            run kernels-r$round-pytorch-$shape-sample "${T[@]}" "${S[@]}" -p mode=BILINEAR,NEAREST,BICUBIC \
                'PyTorchBench.(forward|backward)$'
            echo "== kernels-r$round-torch113-$shape: torch_kernels.py --shapes $shape ${PY[*]}"
            /usr/bin/python3 torch_kernels.py --shapes $shape --threads 1 "${PY[@]}" \
                > "$OUT/kernels-r$round-torch113-$shape.csv" 2> "$OUT/kernels-r$round-torch113-$shape.log" \
                || { tail -20 "$OUT/kernels-r$round-torch113-$shape.log"; exit 1; }
        done
        # 1 and 2 threads side by side in one run, warm, stn4j native
        run kernels-r$round-threads "${T[@]}" -p shape=imagenet,large -p threads=1,2 -p backend=$NATIVE \
            -p mode=BILINEAR 'StnBench.(forward|backward)$'
        # VECTOR_API within 3x of NATIVE_AVX2: off-heap tensors, warm, one thread
        run kernels-r$round-avx2 "${T[@]}" -p shape=imagenet,featmap -p backend=NATIVE_AVX2 -p mode=BILINEAR \
            'StnBench.(forward|backward)$'
        run kernels-r$round-vector "${TV[@]}" -p shape=imagenet,featmap -p backend=VECTOR_API -p mode=BILINEAR \
            'StnBench.(forward|backward)$'
    done
    python3 kernels.py "$OUT"/kernels-*.csv | tee "$OUT/table.md"
    exit 0
elif [ "$PROFILE" = fused ]; then
    # the fused affine transformer beside gridSample / gridSampleBackward alone (same θ, same grid values): one
    # thread, native AVX-512 (else AVX2), imagenet and featmap, into outputs and allocating, warm and cold, 2 rounds
    # (about 10 minutes)
    NATIVE=NATIVE_AVX512 && grep -qw avx512f /proc/cpuinfo || NATIVE=NATIVE_AVX2
    for round in 1 2; do
        run fused-r$round -f 1 -wi 3 -w 1s -i 8 -r 500ms -bm sample -p backend=$NATIVE -p shape=imagenet,featmap \
            -p call=OUTPUTS,CLOSED -p input=WARM,COLD -p threads=1 'StnBench.(forward|fusedForward|backward|fusedBackward)$'
    done
    python3 fused.py "$OUT"/fused-r*.csv | tee "$OUT/fused.md"
    exit 0
elif [ "$PROFILE" = train ]; then
    # one training step of each model (TrainStepBench), native dense kernels beside the Vector API fallback, 2 and
    # 1 threads (about 6 minutes)
    run train -f 1 -wi 5 -w 1s -i 5 -r 1s -bm sample -p threads=2,1 'TrainStepBench'
    grep -E 'TrainStepBench.step.*p0.50' "$OUT/train.csv" \
        | awk -F, '{printf "%-8s %-14s threads %s: %8.2f ms/step  %6.0f images/s\n", $9, $8, $10, $5, 64000 / $5}' \
        | tr -d '"' | tee "$OUT/train.md"
    exit 0
else
    echo "usage: bench/run.sh quick|full|targets|kernels|train|fused" >&2
    exit 2
fi
python3 table.py "$OUT"/*.csv | tee "$OUT/table.md"

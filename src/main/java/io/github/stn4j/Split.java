package io.github.stn4j;

import io.github.stn4j.internal.Memory;
import io.github.stn4j.internal.Pool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link SpatialOps} splits one call over {@link Parallel}'s threads: over samples and output rows, so that N = 1
 * scales too.
 *
 * <p>Forward passes and grid gradients write disjoint outputs, so any split gives the same bits. The input gradient is
 * a scatter-add: to keep it bitwise identical for any number of threads, its split depends only on the shape, never
 * on the thread count. With {@value #WHOLE_SAMPLES} or more samples every task owns whole samples (each sample's
 * gradient is summed by one task, in row order, as in one thread). With fewer, each sample's rows are cut into up to
 * {@value #CHUNKS} fixed chunks (fewer for large inputs, so that partials stay near 32 MiB, never fewer than 2), each
 * made of up to {@value #BLOCKS_PER_CHUNK} blocks of rows interleaved with the other chunks' blocks: chunk
 * 0 scatters into the input gradient itself, every other chunk into its own zeroed partial buffer, and the
 * partials are added to it in chunk order. Calls with less than {@value #MIN_WORK} output values are not split at all.
 * The tasks zero the partial buffers they own, and have the input gradient of whole samples overwritten rather than
 * zeroed and added into (the caller does the same for a serial call), so that runs in parallel. The partial buffers come from the native memory pool ({@link Pool}).
 */
final class Split {
    static final int WHOLE_SAMPLES = 8;
    static final int CHUNKS = 8;
    /** Row blocks each chunk of a sample is made of (fewer when the sample has too few rows). */
    static final int BLOCKS_PER_CHUNK = 8;
    static final long MIN_WORK = 1 << 15;
    static final long PARTIAL_BYTES = 32L << 20;
    /** Elements per block of the partial sum, and the per-thread arrays it runs through (32 KiB, reused). */
    static final int SUM_BLOCK = 4096;
    private static final ThreadLocal<float[][]> SUM_BUFFERS =
            ThreadLocal.withInitial(() -> new float[][] {new float[SUM_BLOCK], new float[SUM_BLOCK]});

    private Split() {}

    interface Piece {
        void run(long n0, long n1, long r0, long r1);
    }

    interface Samples {
        void run(long n0, long n1);
    }

    interface Backward {
        /**
         * gin is the input gradient of samples [n0, n1) (or a partial buffer of one sample), or null. fresh: the piece
         * covers every row of its samples and overwrites gin (it holds garbage); else it adds into gin.
         */
        void run(MemorySegment gin, long n0, long n1, long r0, long r1, boolean fresh);
    }

    private record Range(long n0, long n1, long r0, long r1) {}

    /** Pieces for a write-only pass: whole samples when there are enough, else row ranges of each sample. */
    private static List<Range> plan(long n, long rows, int pieces) {
        List<Range> out = new ArrayList<>();
        if (n >= pieces) {
            for (int k = 0; k < pieces; k++) out.add(new Range(n * k / pieces, n * (k + 1) / pieces, 0, rows));
        } else {
            long per = (pieces + n - 1) / n;
            for (long s = 0; s < n; s++) {
                long parts = Math.min(per, Math.max(1, rows));
                for (long k = 0; k < parts; k++) out.add(new Range(s, s + 1, rows * k / parts, rows * (k + 1) / parts));
            }
        }
        return out;
    }

    /** A thread that never starts: a segment it may not access is confined to the thread that created it. */
    private static final Thread PROBE = new Thread(() -> {});

    /**
     * Whether every given tensor (null: none) may be touched by the pool's threads. A tensor of a confined arena may
     * not: calls with one run entirely on the calling thread (same split, so the same bits).
     */
    static boolean shareable(Tensor a, Tensor b, Tensor c, Tensor d, Tensor e, Tensor f) {
        return shareable(a) && shareable(b) && shareable(c) && shareable(d) && shareable(e) && shareable(f);
    }

    private static boolean shareable(Tensor t) {
        return t == null || t.segment().isAccessibleBy(PROBE);
    }

    /** Parallel.forRange, or the whole range on this thread when {@code here}. */
    private static void forRange(int n, boolean here, Parallel.RangeTask task) {
        if (here) {
            if (n > 0) task.run(0, n);
        } else {
            Parallel.forRange(n, 1, task);
        }
    }

    private static void run(List<Range> ranges, boolean here, Piece piece) {
        if (ranges.size() == 1) {
            Range r = ranges.get(0);
            piece.run(r.n0, r.n1, r.r0, r.r1);
            return;
        }
        forRange(ranges.size(), here, (from, to) -> {
            for (int i = from; i < to; i++) {
                Range r = ranges.get(i);
                piece.run(r.n0, r.n1, r.r0, r.r1);
            }
        });
    }

    /** Whether {@link #forward} would run the whole call as one piece (callers then run it without a lambda). */
    static boolean serial(long n, long rows, long perRow) {
        return n == 0 || rows == 0 || Parallel.threads() == 1 || n * rows * perRow < MIN_WORK;
    }

    /** Whether {@link #samples} would run the whole call as one piece. */
    static boolean serialSamples(long n, long perSample) {
        return n <= 1 || Parallel.threads() == 1 || n * perSample < MIN_WORK;
    }

    /**
     * Whether {@link #backward} would run the whole call as one piece over the whole input gradient. Not with fewer than
     * {@value #WHOLE_SAMPLES} samples and an input gradient, even on one thread: those always use the fixed chunks, so
     * that the bits do not depend on the thread count.
     */
    static boolean serialBackward(long n, long rows, long perRow, boolean hasGradInput) {
        if (n == 0 || rows == 0 || n * rows * perRow < MIN_WORK) return true;
        return Parallel.threads() == 1 && !rowChunks(n, rows, hasGradInput);
    }

    /** Whether a backward that is not small scatters into fixed row chunks (else it owns disjoint gradient slices). */
    private static boolean rowChunks(long n, long rows, boolean hasGradInput) {
        return hasGradInput && n < WHOLE_SAMPLES && rows > 1;
    }

    /** Pieces a write-only pass is cut into (see {@link #plan}). */
    private static int pieces() {
        return Parallel.threads() * 4;
    }

    /** Whether {@link #forward} would split the call into pieces of whole samples. */
    static boolean wholeSamples(long n, long rows, long perRow) {
        return !serial(n, rows, perRow) && n >= pieces();
    }

    /** Whether {@link #backward} would split the call into pieces of whole samples. */
    static boolean wholeSamplesBackward(long n, long rows, long perRow, boolean hasGradInput) {
        if (serialBackward(n, rows, perRow, hasGradInput) || rowChunks(n, rows, hasGradInput)) return false;
        return hasGradInput || n >= pieces(); // with a gradient: whole samples; without: plan's rule
    }

    static void forward(long n, long rows, long perRow, Piece piece) {
        if (n == 0 || rows == 0) return;
        int threads = Parallel.threads();
        if (threads == 1 || n * rows * perRow < MIN_WORK) {
            piece.run(0, n, 0, rows);
            return;
        }
        run(plan(n, rows, pieces()), false, piece);
    }

    static void samples(long n, long perSample, Samples task) {
        if (n == 0) return;
        int threads = Parallel.threads();
        if (threads == 1 || n * perSample < MIN_WORK || n == 1) {
            task.run(0, n);
            return;
        }
        int parts = (int) Math.min(n, pieces());
        Parallel.forRange(parts, 1, (from, to) -> {
            for (int k = from; k < to; k++) task.run(n * k / parts, n * (k + 1) / parts);
        });
    }

    /** here: run every piece on the calling thread (a confined tensor), with the same split. */
    static void backward(long n, long rows, long perRow, MemorySegment gradInput, long inSample, boolean here,
                         Backward piece) {
        if (n == 0 || rows == 0) return;
        int threads = Parallel.threads();
        boolean small = n * rows * perRow < MIN_WORK;
        if (small || !rowChunks(n, rows, gradInput != null)) {
            // disjoint gradient slices per task (or no input gradient at all): split freely over whole samples,
            // and over rows only when there is no input gradient to scatter into
            List<Range> ranges;
            if (small || threads == 1 || here) {
                ranges = List.of(new Range(0, n, 0, rows));
            } else if (gradInput == null) {
                ranges = plan(n, rows, pieces());
            } else {
                int parts = (int) Math.min(n, pieces());
                ranges = new ArrayList<>();
                for (int k = 0; k < parts; k++) ranges.add(new Range(n * k / parts, n * (k + 1) / parts, 0, rows));
            }
            run(ranges, here, (n0, n1, r0, r1) -> {
                MemorySegment g = gradInput == null ? null
                        : gradInput.asSlice(n0 * inSample * 4, (n1 - n0) * inSample * 4);
                // whole samples (rows are never split here): the piece overwrites this task's slice
                piece.run(g, n0, n1, r0, r1, g != null);
            });
            return;
        }
        // fewer than WHOLE_SAMPLES samples: fixed row chunks, summed in chunk order. Partials cost memory traffic, so
        // large inputs get fewer chunks (at most PARTIAL_BYTES of partials, at least 2 chunks); the count still
        // depends only on the shape. Chunk 0 scatters straight into the (zeroed) input gradient and the sum adds
        // chunks 1.. to it in order: the same additions as summing chunk 0's own buffer first, one buffer less.
        int chunks = (int) Math.min(Math.min(CHUNKS, rows), Math.max(2, PARTIAL_BYTES / Math.max(1, n * inSample * 4)));
        long bytes = inSample * 4;
        // the block is given back after a failure too: every task has stopped by then (forRange returns or throws
        // only then), and the next call zeroes what it uses
        Pool.Block block = Pool.allocate(n * (chunks - 1) * bytes, false);
        try {
            MemorySegment scratch = block.segment();
            MemorySegment[] partial = new MemorySegment[(int) n * chunks];
            for (int i = 0; i < partial.length; i++) {
                long s = i / chunks, k = i % chunks;
                partial[i] = k == 0 ? gradInput.asSlice(s * bytes, bytes)
                        : scratch.asSlice((s * (chunks - 1) + k - 1) * bytes, bytes);
            }
            // chunk k of a sample is its row blocks k, k + chunks, k + 2 chunks, ..., not one run of rows: the cost of a
            // row varies smoothly down the image (under a rotation, one half of it can cost 10 % more than the other,
            // and one thread waits), and interleaved blocks give every chunk a share of each part
            long blocks = chunks * Math.min(BLOCKS_PER_CHUNK, rows / chunks);
            // task i is chunk i % chunks of sample i / chunks, and scatters into partial[i], which it zeroes first
            // (chunk 0: its slice of the input gradient)
            forRange((int) n * chunks, here, (from, to) -> {
                for (int i = from; i < to; i++) {
                    long s = i / chunks;
                    Memory.zero(partial[i]);
                    for (long b = i % chunks; b < blocks; b += chunks) {
                        piece.run(partial[i], s, s + 1, rows * b / blocks, rows * (b + 1) / blocks, false);
                    }
                }
            });
            // add the partials to chunk 0 in chunk order, split over blocks of elements (each element by one thread,
            // same order). Bulk copies through two per-thread arrays: element-wise segment accessors made this sum
            // cost a large share of the kernel's time (docs/kernels.md, "Threads").
            long total = inSample;
            forRange((int) Math.min(Integer.MAX_VALUE, (total + SUM_BLOCK - 1) / SUM_BLOCK), here, (from, to) -> {
                float[][] buf = SUM_BUFFERS.get();
                float[] acc = buf[0], add = buf[1];
                for (long s = 0; s < n; s++) {
                    MemorySegment dst = partial[(int) s * chunks];
                    for (long i = (long) from * SUM_BLOCK; i < Math.min(total, (long) to * SUM_BLOCK); i += SUM_BLOCK) {
                        int len = (int) Math.min(SUM_BLOCK, total - i);
                        MemorySegment.copy(dst, ValueLayout.JAVA_FLOAT, i * 4, acc, 0, len);
                        for (int k = 1; k < chunks; k++) {
                            MemorySegment.copy(partial[(int) s * chunks + k], ValueLayout.JAVA_FLOAT, i * 4, add, 0, len);
                            for (int e = 0; e < len; e++) acc[e] += add[e];
                        }
                        MemorySegment.copy(acc, 0, dst, ValueLayout.JAVA_FLOAT, i * 4, len);
                    }
                }
            });
        } finally {
            Pool.free(block, false);
        }
    }
}

package io.github.stn4j;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link SpatialOps} splits one call over {@link Parallel}'s threads: over samples and output rows, so that N = 1
 * scales too.
 *
 * <p>Forward passes and grid gradients write disjoint outputs, so any split gives the same bits. The input gradient is
 * a scatter-add, whose bits are those of one serial call for every thread count: each element gets its terms in
 * output-point order. With {@value #WHOLE_SAMPLES} or more samples every task owns whole samples (summed by one task,
 * in row order). With fewer, each task owns a band of input rows of every sample and runs the scatter over every
 * output point, adding only the taps in its band (the kernels' banded backward; kernels without one compute the input
 * gradient in one task): the band count follows the thread count, one thread runs the unsplit kernel, and there are
 * no partial buffers to zero and sum. The grid gradient then runs in row pieces of its own. Calls with less than
 * {@value #MIN_WORK} output values are not split at all. Tasks overwrite the input gradient they own rather than
 * zero it and add into it (the caller does the same for a serial call), so that runs in parallel.
 */
final class Split {
    static final int WHOLE_SAMPLES = 8;
    static final long MIN_WORK = 1 << 15;

    private Split() {}

    interface Piece {
        void run(long n0, long n1, long r0, long r1);
    }

    interface Samples {
        void run(long n0, long n1);
    }

    interface Band {
        /**
         * Overwrites input rows [b0, b1) (of bandRows: see {@link #backward}) of the input gradient of every sample
         * with their terms from every output row; [0, bandRows) is the whole input gradient.
         */
        void run(long b0, long b1);
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

    /** Whether {@link #backward} would run the whole call as one piece over the whole input gradient. */
    static boolean serialBackward(long n, long rows, long perRow, boolean hasGradInput) {
        return n == 0 || rows == 0 || n * rows * perRow < MIN_WORK || Parallel.threads() == 1;
    }

    /** Whether a backward that is not serial cuts the input gradient into bands (else it owns whole samples). */
    private static boolean bands(long n, long rows, boolean hasGradInput) {
        return hasGradInput && n < WHOLE_SAMPLES;
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
        if (serialBackward(n, rows, perRow, hasGradInput) || bands(n, rows, hasGradInput)) return false;
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

    /**
     * here: run the whole call on the calling thread (a confined tensor): the bits are the same for any split.
     * bandRows: the input rows the input gradient may be cut into bands of (0 or 1: it is computed whole).
     */
    static void backward(long n, long rows, long perRow, MemorySegment gradInput, long inSample, boolean here,
                         long bandRows, Backward piece, Band band) {
        if (n == 0 || rows == 0) return;
        int threads = Parallel.threads();
        boolean small = n * rows * perRow < MIN_WORK;
        if (small || threads == 1 || here) {
            piece.run(gradInput, 0, n, 0, rows, gradInput != null);
            return;
        }
        if (!bands(n, rows, gradInput != null)) {
            // disjoint gradient slices per task (or no input gradient at all): split freely over whole samples,
            // and over rows only when there is no input gradient to scatter into
            List<Range> ranges;
            if (gradInput == null) {
                ranges = plan(n, rows, pieces());
            } else {
                int parts = (int) Math.min(n, pieces());
                ranges = new ArrayList<>();
                for (int k = 0; k < parts; k++) ranges.add(new Range(n * k / parts, n * (k + 1) / parts, 0, rows));
            }
            run(ranges, false, (n0, n1, r0, r1) -> {
                MemorySegment g = gradInput == null ? null
                        : gradInput.asSlice(n0 * inSample * 4, (n1 - n0) * inSample * 4);
                // whole samples (rows are never split here): the piece overwrites this task's slice
                piece.run(g, n0, n1, r0, r1, g != null);
            });
            return;
        }
        // fewer than WHOLE_SAMPLES samples: the input gradient in bands of input rows, one task each, every band over
        // all output points (each element gets its terms in point order, as in one serial call, so the band count may
        // follow the thread count); the grid gradient in row pieces, tasks of their own, after the bands (the larger
        // tasks first: the pool's threads claim ranges in order)
        int bands = (int) Math.min(threads, Math.max(1, bandRows));
        List<Range> grid = plan(n, rows, pieces());
        forRange(bands + grid.size(), false, (from, to) -> {
            for (int i = from; i < to; i++) {
                if (i < bands) {
                    band.run(bandRows * i / bands, bandRows * (i + 1) / bands);
                } else {
                    Range r = grid.get(i - bands);
                    piece.run(null, r.n0, r.n1, r.r0, r.r1, false);
                }
            }
        });
    }
}

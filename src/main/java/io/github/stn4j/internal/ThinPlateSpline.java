package io.github.stn4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The thin-plate-spline grid and its gradient: one plain-Java implementation that every backend calls, so every
 * backend gives the same bits.
 *
 * <p>NOTE. K control points have targets t_k (where they lie in the output, in affine_grid's base coordinates) and, per
 * sample, sources s_k (where they lie in the input). Each grid coordinate is Bookstein's interpolating spline
 * f(p) = a0 + a1·x + a2·y + Σ_k w_k·U(|p - t_k|), U(r) = r²·log r² (U(0) = 0), with f(t_k) = s_k, Σ w_k = 0 and
 * Σ w_k·t_k = 0: the (K+3)² system L = [[U(|t_i - t_j|), P], [Pᵀ, 0]], P = [1, x_k, y_k], times (w, a) equals (s, 0).
 * The grid is linear in the sources: grid[n, p] = Σ_k M[p, k]·s[n, k] with M = B·L⁻¹[:, :K], B[p] = [U(|p - t_k|)...,
 * 1, x, y]. So the work splits in two:
 * <ol>
 *   <li>{@link #weights}: once per target configuration (targets, H, W, align_corners), in double: checks the targets
 *       (3 ≤ K ≤ {@value #MAX_POINTS}, finite, no duplicates, not all on one line), factors L by LU with partial
 *       pivoting (a pivot numerically 0 is an error), solves for L⁻¹[:, :K] and forms M, kept transposed (Mᵀ [K, H·W],
 *       so that the forward streams each control point's weights over the points) and rounded to float: half the
 *       memory and reads of double, and M's entries are interpolation weights of size ~1 (each row sums to 1), so the
 *       rounding (2^-24 relative) stays far below the 1e-4 the grid is held to. Mᵀ is kept in a small LRU cache:
 *       training calls with the same targets every step.</li>
 *   <li>{@link #grid} / {@link #gridBackward}: per sample, grid[p] = Σ_k M[p, k]·s[k] with k in order, and
 *       dS[k] = Σ_p M[p, k]·dgrid[p] with p in order, both accumulated in double from 0 and rounded once: a fixed
 *       order, whichever thread runs the sample and however the JIT compiles the loops (Java never fuses a multiply
 *       and an add).</li>
 * </ol>
 * The cache holds at most {@value #CACHE_ENTRIES} configurations and {@value #CACHE_BYTES} bytes of Mᵀ (Java
 * heap); the least recently used goes first, and an Mᵀ larger than the whole budget is computed for its call and not
 * kept.
 * It is thread-safe; two threads missing the same configuration at once may both compute it (the same values).
 */
public final class ThinPlateSpline {
    private ThinPlateSpline() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The most control points a spline may have: the dense (K+3)² system is solved in double, O(K³). */
    public static final int MAX_POINTS = 1024;

    static final int CACHE_ENTRIES = 16;
    static final long CACHE_BYTES = 32L << 20;

    private static final Map<Key, float[]> CACHE = new LinkedHashMap<>(32, 0.75f, true);
    private static long cachedBytes;

    /** A target configuration, by value. */
    private static final class Key {
        final int[] bits;
        final long h, w;
        final boolean ac;
        final int hash;

        Key(float[] targets, long h, long w, boolean ac) {
            bits = new int[targets.length];
            for (int i = 0; i < bits.length; i++) bits[i] = Float.floatToIntBits(targets[i]);
            this.h = h;
            this.w = w;
            this.ac = ac;
            hash = (Arrays.hashCode(bits) * 31 + Long.hashCode(h)) * 31 + Long.hashCode(w) * 2 + (ac ? 1 : 0);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.h == h && k.w == w && k.ac == ac
                    && Arrays.equals(k.bits, bits);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * Mᵀ [K, h·w] (row-major) for the given targets (K (x, y) pairs), from the cache or computed (and cached).
     *
     * @throws IllegalArgumentException if the targets cannot define a spline: the message says why and what to do
     */
    public static float[] weights(float[] targets, long h, long w, boolean ac) {
        Key key = new Key(targets, h, w, ac);
        synchronized (CACHE) {
            float[] m = CACHE.get(key);
            if (m != null) return m;
        }
        float[] m = compute(targets, h, w, ac); // outside the lock: a long solve does not hold up other callers
        long bytes = 4L * m.length;
        if (bytes <= CACHE_BYTES) {
            synchronized (CACHE) {
                if (CACHE.put(key, m) == null) cachedBytes += bytes;
                var it = CACHE.values().iterator();
                while (cachedBytes > CACHE_BYTES || CACHE.size() > CACHE_ENTRIES) {
                    cachedBytes -= 4L * it.next().length;
                    it.remove();
                }
            }
        }
        return m;
    }

    /** Empties the cache (for tests). */
    public static void clearCache() {
        synchronized (CACHE) {
            CACHE.clear();
            cachedBytes = 0;
        }
    }

    /** The number of configurations in the cache (for tests). */
    public static int cached() {
        synchronized (CACHE) {
            return CACHE.size();
        }
    }

    /** U(r) = r² log r² of a squared distance, 0 at 0. */
    static double u(double r2) {
        return r2 == 0 ? 0 : r2 * Math.log(r2);
    }

    /** Checks the number of control points, 3 ≤ k ≤ {@value #MAX_POINTS} (the message: see {@link #weights}). */
    public static void checkCount(long k) {
        if (k < 3) {
            throw new IllegalArgumentException("targetPoints has " + k + " point" + (k == 1 ? "" : "s") + "; a thin-plate"
                    + " spline needs at least 3 control points, not all on one line");
        }
        if (k > MAX_POINTS) {
            throw new IllegalArgumentException("targetPoints has " + k + " points; at most " + MAX_POINTS
                    + " are supported (the (K+3)² system is solved densely): use fewer control points");
        }
    }

    static void check(float[] t) {
        int k = t.length / 2;
        checkCount(k);
        for (int i = 0; i < t.length; i++) {
            if (!Float.isFinite(t[i])) {
                throw new IllegalArgumentException("targetPoints[" + i / 2 + "] = (" + t[i & ~1] + ", " + t[i | 1]
                        + ") is not finite; every control point needs finite coordinates");
            }
        }
        // duplicates: sort the indices by (x, y) and compare neighbours
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) order[i] = i;
        // (+ 0f turns -0 into +0: the same point must sort as one)
        Arrays.sort(order, (a, b) -> t[2 * a] != t[2 * b] ? Float.compare(t[2 * a] + 0f, t[2 * b] + 0f)
                : Float.compare(t[2 * a + 1] + 0f, t[2 * b + 1] + 0f));
        for (int i = 1; i < k; i++) {
            int a = order[i - 1], b = order[i];
            if (t[2 * a] == t[2 * b] && t[2 * a + 1] == t[2 * b + 1]) {
                throw new IllegalArgumentException("targetPoints[" + Math.min(a, b) + "] and targetPoints["
                        + Math.max(a, b) + "] are the same point (" + t[2 * a] + ", " + t[2 * a + 1] + "); the spline"
                        + " cannot map one point to two sources: remove or move one of them");
            }
        }
        // collinear: every point on the line through point 0 and the point farthest from it
        int far = 0;
        double farD = 0;
        for (int i = 1; i < k; i++) {
            double dx = (double) t[2 * i] - t[0], dy = (double) t[2 * i + 1] - t[1], d = dx * dx + dy * dy;
            if (d > farD) {
                far = i;
                farD = d;
            }
        }
        double ex = (double) t[2 * far] - t[0], ey = (double) t[2 * far + 1] - t[1], worst = 0;
        for (int i = 1; i < k; i++) {
            double dx = (double) t[2 * i] - t[0], dy = (double) t[2 * i + 1] - t[1];
            worst = Math.max(worst, Math.abs(ex * dy - ey * dx));
        }
        if (worst <= 1e-12 * farD) {
            throw new IllegalArgumentException("all " + k + " targetPoints lie on one line; a thin-plate spline needs"
                    + " control points that span the plane: move at least one off the line");
        }
    }

    static float[] compute(float[] t, long h, long w, boolean ac) {
        check(t);
        int k = t.length / 2, s = k + 3;
        long points = h * w;
        if (points * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("an output of " + h + "x" + w + " with " + k + " control points needs "
                    + points * k + " weights, more than a Java array holds: use fewer control points or a smaller"
                    + " output");
        }
        // L, row-major (K+3)²
        double[] l = new double[s * s];
        double max = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double dx = (double) t[2 * i] - t[2 * j], dy = (double) t[2 * i + 1] - t[2 * j + 1];
                double v = u(dx * dx + dy * dy);
                l[i * s + j] = v;
                max = Math.max(max, Math.abs(v));
            }
            double[] p = {1, t[2 * i], t[2 * i + 1]};
            for (int c = 0; c < 3; c++) {
                l[i * s + k + c] = p[c];
                l[(k + c) * s + i] = p[c];
                max = Math.max(max, Math.abs(p[c]));
            }
        }
        int[] perm = new int[s];
        factor(l, s, perm, max);
        // X = L⁻¹[:, :K], column by column (L is symmetric, so this is also L⁻¹'s first K rows), stored x[j * k + c]
        double[] x = new double[s * k], col = new double[s];
        for (int c = 0; c < k; c++) {
            Arrays.fill(col, 0);
            col[c] = 1;
            solve(l, s, perm, col);
            for (int j = 0; j < s; j++) x[j * k + c] = col[j];
        }
        // M = B X, one point at a time: B's row in double, then each weight summed over j in order; stored as Mᵀ
        float[] m = new float[(int) (points * k)];
        double[] b = new double[s];
        for (long i = 0; i < h; i++) {
            double py = Coords.baseCoord(i, h, ac);
            for (long jj = 0; jj < w; jj++) {
                double px = Coords.baseCoord(jj, w, ac);
                for (int q = 0; q < k; q++) {
                    double dx = px - t[2 * q], dy = py - t[2 * q + 1];
                    b[q] = u(dx * dx + dy * dy);
                }
                b[k] = 1;
                b[k + 1] = px;
                b[k + 2] = py;
                int p = (int) (i * w + jj);
                for (int c = 0; c < k; c++) {
                    double v = 0;
                    for (int j = 0; j < s; j++) v += b[j] * x[j * k + c];
                    m[c * (int) points + p] = (float) v;
                }
            }
        }
        return m;
    }

    /** In-place LU with partial pivoting: perm[i] is the original row of row i. */
    private static void factor(double[] a, int n, int[] perm, double max) {
        for (int i = 0; i < n; i++) perm[i] = i;
        double tiny = n * 0x1p-52 * max;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
            if (!(Math.abs(a[p * n + c]) > tiny)) {
                throw new IllegalArgumentException("targetPoints make a singular system (pivot " + a[p * n + c]
                        + " at column " + c + " of " + n + "): control points too close together or (nearly) on one"
                        + " line; spread them out");
            }
            if (p != c) {
                for (int j = 0; j < n; j++) {
                    double v = a[c * n + j];
                    a[c * n + j] = a[p * n + j];
                    a[p * n + j] = v;
                }
                int v = perm[c];
                perm[c] = perm[p];
                perm[p] = v;
            }
            double d = a[c * n + c];
            for (int r = c + 1; r < n; r++) {
                double f = a[r * n + c] / d;
                a[r * n + c] = f;
                if (f != 0) for (int j = c + 1; j < n; j++) a[r * n + j] -= f * a[c * n + j];
            }
        }
    }

    /** Solves (LU) x = P b in place of b. */
    private static void solve(double[] a, int n, int[] perm, double[] b) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double v = b[perm[i]];
            for (int j = 0; j < i; j++) v -= a[i * n + j] * y[j];
            y[i] = v;
        }
        for (int i = n - 1; i >= 0; i--) {
            double v = y[i];
            for (int j = i + 1; j < n; j++) v -= a[i * n + j] * b[j];
            b[i] = v / a[i * n + i];
        }
    }

    /** Points per chunk of the forward: two chunk-long double accumulators stay in the first-level cache. */
    private static final int CHUNK = 512;

    /**
     * Writes the grid [N, points, 2] of samples [n0, n1) from sources [N, k, 2] (whole tensors' segments) and
     * Mᵀ [k, points]. Each point's sum runs from 0 over k in order; the points of a chunk are updated together, one
     * control point at a time (a loop the JIT may turn into vector instructions: the same operations per point, so
     * the same bits).
     */
    public static void grid(float[] mt, int k, MemorySegment sources, MemorySegment grid, long n0, long n1,
                            int points) {
        double[] sx = new double[k], sy = new double[k], ax = new double[CHUNK], ay = new double[CHUNK];
        for (long n = n0; n < n1; n++) {
            for (int q = 0; q < k; q++) {
                sx[q] = sources.getAtIndex(F, (n * k + q) * 2);
                sy[q] = sources.getAtIndex(F, (n * k + q) * 2 + 1);
            }
            long o = n * points * 2L;
            for (int p0 = 0; p0 < points; p0 += CHUNK) {
                int len = Math.min(CHUNK, points - p0);
                Arrays.fill(ax, 0, len, 0);
                Arrays.fill(ay, 0, len, 0);
                for (int q = 0; q < k; q++) {
                    double a = sx[q], b = sy[q];
                    int row = q * points + p0;
                    for (int i = 0; i < len; i++) {
                        double c = mt[row + i];
                        ax[i] += c * a;
                        ay[i] += c * b;
                    }
                }
                for (int i = 0; i < len; i++) {
                    grid.setAtIndex(F, o + 2L * (p0 + i), (float) ax[i]);
                    grid.setAtIndex(F, o + 2L * (p0 + i) + 1, (float) ay[i]);
                }
            }
        }
    }

    /**
     * Overwrites gradSources [N, k, 2] of samples [n0, n1) from gradGrid [N, points, 2] and Mᵀ [k, points]: each sum
     * from 0 over the points in order. Four control points at a time (eight independent sums over one pass).
     */
    public static void gridBackward(float[] mt, int k, MemorySegment gradGrid, MemorySegment gradSources, long n0,
                                    long n1, int points) {
        float[] gx = new float[points], gy = new float[points];
        for (long n = n0; n < n1; n++) {
            long o = n * points * 2L, out = n * k * 2;
            for (int p = 0; p < points; p++) {
                gx[p] = gradGrid.getAtIndex(F, o + 2L * p);
                gy[p] = gradGrid.getAtIndex(F, o + 2L * p + 1);
            }
            int q = 0;
            for (; q + 4 <= k; q += 4) { // body: four control points
                double x0 = 0, y0 = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0, x3 = 0, y3 = 0;
                int r0 = q * points, r1 = r0 + points, r2 = r1 + points, r3 = r2 + points;
                for (int p = 0; p < points; p++) {
                    double a = gx[p], b = gy[p], c0 = mt[r0 + p], c1 = mt[r1 + p], c2 = mt[r2 + p], c3 = mt[r3 + p];
                    x0 += c0 * a;
                    y0 += c0 * b;
                    x1 += c1 * a;
                    y1 += c1 * b;
                    x2 += c2 * a;
                    y2 += c2 * b;
                    x3 += c3 * a;
                    y3 += c3 * b;
                }
                long at = out + 2L * q;
                gradSources.setAtIndex(F, at, (float) x0);
                gradSources.setAtIndex(F, at + 1, (float) y0);
                gradSources.setAtIndex(F, at + 2, (float) x1);
                gradSources.setAtIndex(F, at + 3, (float) y1);
                gradSources.setAtIndex(F, at + 4, (float) x2);
                gradSources.setAtIndex(F, at + 5, (float) y2);
                gradSources.setAtIndex(F, at + 6, (float) x3);
                gradSources.setAtIndex(F, at + 7, (float) y3);
            }
            for (; q < k; q++) { // tail: one control point
                double x0 = 0, y0 = 0;
                int r0 = q * points;
                for (int p = 0; p < points; p++) {
                    double c0 = mt[r0 + p];
                    x0 += c0 * gx[p];
                    y0 += c0 * gy[p];
                }
                gradSources.setAtIndex(F, out + 2L * q, (float) x0);
                gradSources.setAtIndex(F, out + 2L * q + 1, (float) y0);
            }
        }
    }
}

package io.github.stn4j.internal;

import io.github.stn4j.internal.Kernels.PaddingMode;

/**
 * The coordinate rules shared by every Java kernel, written to give the same float results as the C helpers in
 * native/src/stn_internal.h (same operations in the same order, no fused multiply-adds).
 *
 * <p>The pipeline, per axis (PyTorch's grid_sampler_compute_source_index plus stn4j's rule for non-finite values):
 * <ol>
 *   <li>NaN reads as -1 (PyTorch's documented rule).</li>
 *   <li>Unnormalise: align_corners: (g + 1) * (size - 1) / 2; otherwise (g + 1) * size / 2 - 0.5. d/dg is the scale.</li>
 *   <li>Points farther than 2^22 pixels (±Inf, ±1e30, ...) are clamped to ±2^22 with gradient 0. Float32 resolves
 *       no better than half a pixel there; the clamp keeps reflection's fold exact and identical on every backend.</li>
 *   <li>Padding: zeros leaves the point alone; border clips to [0, size-1] (gradient 0 where clipped, the exact edge
 *       included); reflection folds over the corner pixel centres (align_corners) or the image edges, each fold
 *       flipping the gradient's sign, then clips like border.</li>
 *   <li>Safety clamp to [-2, size+1]: changes no result (taps there read 0) but keeps every index small.</li>
 * </ol>
 * Bicubic applies steps 1-3 to the point and the padding to each of its 16 taps instead.
 */
public final class Coords {
    private Coords() {}

    public static final float FAR = 0x1p22f;

    /** torch.linspace(-1, 1, steps)[i], times (steps - 1) / steps unless align_corners: affine_grid's base grid. */
    public static float baseCoord(long i, long steps, boolean alignCorners) {
        if (steps <= 1) return 0f;
        float step = 2f / (float) (steps - 1);
        long halfway = steps / 2;
        float v = i < halfway ? -1f + step * (float) i : 1f - step * (float) (steps - i - 1);
        if (!alignCorners) v = v * ((float) (steps - 1) / (float) steps);
        return v;
    }

    /** d(pixel)/d(grid value) of the unnormalisation. */
    public static float scale(long size, boolean alignCorners) {
        return alignCorners ? (float) (size - 1) * 0.5f : (float) size * 0.5f;
    }

    /** Steps 1-3: the unpadded pixel coordinate. */
    public static float unnormalize(float g, long size, boolean alignCorners) {
        if (g != g) g = -1f;
        float s = scale(size, alignCorners);
        float x = alignCorners ? (g + 1f) * s : (g + 1f) * s - 0.5f;
        if (x != x) return 0f; // ±Inf times a zero scale (a 1-pixel axis with align_corners): every point is pixel 0
        if (x > FAR) return FAR;
        if (x < -FAR) return -FAR;
        return x;
    }

    /** The gradient factor of steps 1-3 (0 where the far clamp or a zero scale applies). */
    public static float unnormalizeGrad(float g, long size, boolean alignCorners) {
        if (g != g) g = -1f;
        float s = scale(size, alignCorners);
        float x = alignCorners ? (g + 1f) * s : (g + 1f) * s - 0.5f;
        return (x != x || x > FAR || x < -FAR) ? 0f : s;
    }

    /**
     * Step 4 on an unpadded coordinate x, returning the padded one; {@code grad[0]} is multiplied by the padding's
     * derivative (0, 1 or -1) when {@code grad} is not null.
     */
    public static float pad(float x, long size, PaddingMode padding, boolean alignCorners, float[] grad) {
        if (padding == PaddingMode.REFLECTION) {
            float lo = alignCorners ? 0f : -0.5f;
            float span = alignCorners ? (float) (size - 1) : (float) size;
            if (span <= 0f) {
                if (grad != null) grad[0] = 0f;
                return 0f;
            }
            float d = x - lo;
            if (d < 0f) {
                d = -d;
                if (grad != null) grad[0] = -grad[0];
            }
            float flips = (float) Math.floor(d / span);
            float extra = d - flips * span;
            float half = flips * 0.5f;
            if (half != (float) Math.floor(half)) {
                x = span - extra + lo;
                if (grad != null) grad[0] = -grad[0];
            } else {
                x = extra + lo;
            }
        }
        if (padding != PaddingMode.ZEROS) {
            float hi = (float) (size - 1);
            if (x <= 0f) {
                x = 0f;
                if (grad != null) grad[0] = 0f;
            } else if (x >= hi) {
                x = hi;
                if (grad != null) grad[0] = 0f;
            }
        }
        return x;
    }

    /** Step 5. */
    public static float safe(float x, long size) {
        if (!(x >= -2f)) x = -2f;
        if (x > (float) size + 1f) x = (float) size + 1f;
        return x;
    }

    /** The whole pipeline for bilinear and nearest; grad[0] receives d(result)/dg when grad is not null. */
    public static float sourceIndex(float g, long size, PaddingMode padding, boolean alignCorners, float[] grad) {
        if (grad != null) grad[0] = unnormalizeGrad(g, size, alignCorners);
        return safe(pad(unnormalize(g, size, alignCorners), size, padding, alignCorners, grad), size);
    }

    /** A bicubic tap's integer coordinate after padding (no gradient flows through taps). */
    public static long tap(float t, long size, PaddingMode padding, boolean alignCorners) {
        return (long) safe(pad(t, size, padding, alignCorners, null), size);
    }

    // Keys' cubic convolution with A = -0.75, in PyTorch's operation order.
    static final float A = -0.75f;

    static float cc1(float x) {
        return ((A + 2f) * x - (A + 3f)) * x * x + 1f;
    }

    static float cc2(float x) {
        return ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;
    }

    /** Weights of the taps at floor - 1 .. floor + 2 for a fraction t. */
    public static void cubicCoefficients(float t, float[] c) {
        c[0] = cc2(t + 1f);
        c[1] = cc1(t);
        c[2] = cc1(1f - t);
        c[3] = cc2(1f - t + 1f);
    }

    /** d/dt of {@link #cubicCoefficients}, negated (PyTorch subtracts them). */
    public static void cubicCoefficientsGrad(float t, float[] c) {
        float x = -1f - t;
        c[0] = (-3f * A * x - 10f * A) * x - 8f * A;
        x = -t;
        c[1] = (-3f * (A + 2f) * x - 2f * (A + 3f)) * x;
        x = 1f - t;
        c[2] = (3f * (A + 2f) * x - 2f * (A + 3f)) * x;
        x = 2f - t;
        c[3] = (3f * A * x - 10f * A) * x + 8f * A;
    }
}

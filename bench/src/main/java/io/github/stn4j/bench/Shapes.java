package io.github.stn4j.bench;

import io.github.stn4j.Backend;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import java.util.Random;

/**
 * The benchmark shapes (N, C, H, W → Ho, Wo) and their data: a near-identity rotation + scale θ with small noise per
 * sample, align_corners = false, zeros padding. Cache levels: tiny shows the per-call overhead; mnist (200 KB input)
 * fits L2; featmap (12.8 MB) and imagenet (4.8 MB) stream from L3/DRAM; large (12.6 MB, N = 1) must scale over rows.
 * Batch b (for cold input: {@link #coldBatches()}) has its own data, from seeds offset by b; batch 0 is the warm one.
 */
public enum Shapes {
    tiny(1, 1, 4, 4),
    mnist(256, 1, 28, 28),
    imagenet(8, 3, 224, 224),
    featmap(16, 64, 56, 56),
    large(1, 3, 1024, 1024);

    public final int n, c, h, w;

    Shapes(int n, int c, int h, int w) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
    }

    public static final Padding PADDING = Padding.ZEROS;

    /**
     * Cold input rotates through batches (input, grid, gradOutput) that together hold at least this much: twice the
     * largest L3 of this machine's kind (32 MB per EPYC CCD), so each call reads its batch from DRAM.
     */
    public static final long COLD_BYTES = 64L << 20;

    public long[] size() {
        return new long[] {n, c, h, w};
    }

    /** Bytes of one batch's input, grid and gradOutput (float32; output size = input size). */
    public long batchBytes() {
        return 4L * (2L * n * c * h * w + 2L * n * h * w);
    }

    /** How many distinct batches cold input rotates through: enough to hold {@link #COLD_BYTES}. */
    public int coldBatches() {
        return (int) ((COLD_BYTES + batchBytes() - 1) / batchBytes());
    }

    /** Batches a benchmark's {@code input} parameter rotates through: WARM one, COLD {@link #coldBatches()}. */
    public int batches(String input) {
        return switch (input) {
            case "WARM" -> 1;
            case "COLD" -> coldBatches();
            default -> throw new IllegalArgumentException("input=" + input + ": expected WARM or COLD");
        };
    }

    private static long seed(long base, int batch) {
        return base + 16L * batch;
    }

    public float[] input() {
        return input(0);
    }

    public float[] theta() {
        return theta(0);
    }

    public float[] grid() {
        return grid(0);
    }

    public float[] gradOutput() {
        return gradOutput(0);
    }

    public float[] input(int batch) {
        Random rnd = new Random(seed(1, batch));
        float[] a = new float[n * c * h * w];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat();
        return a;
    }

    public float[] theta(int batch) {
        Random rnd = new Random(seed(2, batch));
        float[] base = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f};
        float[] t = new float[n * 6];
        for (int i = 0; i < t.length; i++) t[i] = base[i % 6] + (float) (rnd.nextGaussian() * 0.02);
        return t;
    }

    public float[] grid(int batch) {
        return SpatialOps.of(Backend.JAVA_SCALAR).affineGrid(Tensor.of(theta(batch), n, 2, 3), size(), false).toArray();
    }

    public float[] gradOutput(int batch) {
        Random rnd = new Random(seed(3, batch));
        float[] a = new float[n * c * h * w];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
        return a;
    }
}

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

    public long[] size() {
        return new long[] {n, c, h, w};
    }

    public float[] input() {
        Random rnd = new Random(1);
        float[] a = new float[n * c * h * w];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat();
        return a;
    }

    public float[] theta() {
        Random rnd = new Random(2);
        float[] base = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f};
        float[] t = new float[n * 6];
        for (int i = 0; i < t.length; i++) t[i] = base[i % 6] + (float) (rnd.nextGaussian() * 0.02);
        return t;
    }

    public float[] grid() {
        return SpatialOps.of(Backend.JAVA_SCALAR).affineGrid(Tensor.of(theta(), n, 2, 3), size(), false).toArray();
    }

    public float[] gradOutput() {
        Random rnd = new Random(3);
        float[] a = new float[n * c * h * w];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
        return a;
    }
}

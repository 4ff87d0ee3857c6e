package io.github.stn4j.data;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The distortions of the Spatial Transformer paper's MNIST experiments, seeded and reproducible (example i of a
 * dataset always gets the same distortion for the same seed). They are made with stn4j's own affine grid and bilinear
 * sampler, zeros padding.
 */
public enum Distortion {
    /** The images as they are (28×28). */
    NONE(28),
    /** R: rotated by a uniform angle in ±90° (28×28). */
    R(28),
    /** RTS: rotated ±45°, scaled 0.7–1.2 and placed at a random position of a 42×42 canvas. */
    RTS(42),
    /** TC: placed at a random position of a 60×60 canvas with clutter: six random 6×6 crops of other images. */
    TC(60);

    private final int size;

    Distortion(int size) {
        this.size = size;
    }

    /** Side of the distorted images. */
    public int size() {
        return size;
    }

    /** The distorted copy of {@code d} (28×28 images); {@code seed} fixes every random choice. */
    public Dataset apply(Dataset d, long seed, SpatialOps ops) {
        int n = d.size(), s = size;
        if (this == NONE && d.h() == s && d.w() == s) return new Dataset(d.images().clone(), d.labels().clone(), s, s);
        float[] theta = new float[n * 6];
        Random rnd = new Random(seed * 1_000_003L + ordinal());
        for (int i = 0; i < n; i++) {
            double deg = 0, scale = 1, tx = 0, ty = 0;
            switch (this) {
                case R -> deg = (rnd.nextDouble() * 2 - 1) * 90;
                case RTS -> {
                    deg = (rnd.nextDouble() * 2 - 1) * 45;
                    scale = 0.7 + rnd.nextDouble() * 0.5;
                    double room = (s - d.w() * scale) / 2.0 / s; // keep the object's centre box inside the canvas
                    tx = (rnd.nextDouble() * 2 - 1) * room;
                    ty = (rnd.nextDouble() * 2 - 1) * room;
                }
                case TC -> {
                    double room = (s - d.w()) / 2.0 / s;
                    tx = (rnd.nextDouble() * 2 - 1) * room;
                    ty = (rnd.nextDouble() * 2 - 1) * room;
                }
                default -> { }
            }
            System.arraycopy(theta(deg, scale, tx, ty, d.w(), d.h(), s, s), 0, theta, i * 6, 6);
        }
        float[] out = new float[n * s * s];
        try (Tensor th = Tensor.of(theta, n, 2, 3);
             Tensor grid = ops.affineGrid(th, new long[] {n, 1, s, s}, false)) {
            ops.gridSample(Tensor.wrap(MemorySegment.ofArray(d.images()), n, 1, d.h(), d.w()), grid,
                    Interpolation.BILINEAR, Padding.ZEROS, false, Tensor.wrap(MemorySegment.ofArray(out), n, 1, s, s));
        }
        if (this == TC) {
            Random clutter = new Random(seed * 7_919L + 17);
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < 6; k++) {
                    int src = clutter.nextInt(n), sy = clutter.nextInt(d.h() - 6), sx = clutter.nextInt(d.w() - 6);
                    int dy = clutter.nextInt(s - 6), dx = clutter.nextInt(s - 6);
                    for (int a = 0; a < 6; a++) {
                        for (int b = 0; b < 6; b++) {
                            int o = i * s * s + (dy + a) * s + dx + b;
                            float v = d.images()[src * d.h() * d.w() + (sy + a) * d.w() + sx + b];
                            out[o] = Math.max(out[o], v);
                        }
                    }
                }
            }
        }
        return new Dataset(out, d.labels().clone(), s, s);
    }

    /**
     * θ that shows the source rotated by deg (counter-clockwise), magnified by scale and moved by (tx, ty) fractions of
     * the output, in affine_grid's normalised coordinates (θ maps each output point to the input point it reads).
     */
    public static float[] theta(double deg, double scale, double tx, double ty, int inW, int inH, int outW, int outH) {
        double a = Math.toRadians(deg), c = Math.cos(a), sn = Math.sin(a);
        double[][] inv = {{c / scale, -sn / scale}, {sn / scale, c / scale}};
        double sxPx = tx * outW, syPx = ty * outH;
        double hwOut = outW / 2.0, hhOut = outH / 2.0, hwIn = inW / 2.0, hhIn = inH / 2.0;
        return new float[] {
            (float) (inv[0][0] * hwOut / hwIn), (float) (inv[0][1] * hhOut / hwIn),
            (float) (-(inv[0][0] * sxPx + inv[0][1] * syPx) / hwIn),
            (float) (inv[1][0] * hwOut / hhIn), (float) (inv[1][1] * hhOut / hhIn),
            (float) (-(inv[1][0] * sxPx + inv[1][1] * syPx) / hhIn)};
    }
}

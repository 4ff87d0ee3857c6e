package io.github.stn4j.data;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The distortions of the Spatial Transformer paper's MNIST experiments, seeded and reproducible (example i of a
 * dataset always gets the same distortion for the same seed). They are made with stn4j's bilinear sampler, zeros
 * padding: R, RTS and TC through its affine grid, P and E through grids computed here in double precision (a
 * homography, a thin-plate spline) and rounded to float once.
 *
 * <p>Coordinates are affine_grid's normalised ones (align_corners = false): the image spans [-1, 1] in x and y, so its
 * side is 2 and "5 % of the side" is 0.1. Each constant's random draws come from its own stream
 * ({@code new Random(seed * 1_000_003 + ordinal)}), image by image in order: new constants go at the end, so that the
 * older ones keep their ordinal and their images.
 */
public enum Distortion {
    /** The images as they are (28×28). */
    NONE(28),
    /** R: rotated by a uniform angle in ±90° (28×28). */
    R(28),
    /** RTS: rotated ±45°, scaled 0.7–1.2 and placed at a random position of a 42×42 canvas. */
    RTS(42),
    /** TC: placed at a random position of a 60×60 canvas with clutter: six random 6×6 crops of other images. */
    TC(60),
    /**
     * P (projective, 28×28): the image's square is scaled about its centre by a uniform factor in 0.75–1.0, then each
     * of its four corners is moved by a Gaussian in x and in y, σ = 5 % of the side, each clipped at ±3σ; the image is
     * warped by the homography that takes the square to that quadrilateral. Output points beyond its horizon (w ≤ 0)
     * read zeros.
     */
    P(28),
    /**
     * E (elastic, 28×28): a 4×4 grid of control points spanning the image (at -1, -1/3, 1/3, 1 in x and y); the output
     * at control point tₖ shows the input at sₖ = tₖ + dₖ, each coordinate of dₖ uniform within ±7.5 % of the side;
     * between the points, the interpolating thin-plate spline through (tₖ, sₖ).
     */
    E(28);

    /** P: the smallest scale, the corners' σ and their clip, in normalised units (the side is 2). */
    static final double P_MIN_SCALE = 0.75, P_SIGMA = 0.05 * 2, P_CLIP = 3 * P_SIGMA;
    /** E: control points per row and column, and the largest shift of a coordinate (normalised units). */
    static final int E_GRID = 4;
    static final double E_SHIFT = 0.075 * 2;
    /** Images whose grids are held at once by P and E (4,096 28×28 grids: 26 MB). */
    private static final int CHUNK = 4096;

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
        if (this == P || this == E) return warped(d, seed, ops);
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

    /** P and E: per image a grid computed in double, then the bilinear sampler, chunk by chunk. */
    private Dataset warped(Dataset d, long seed, SpatialOps ops) {
        int n = d.size(), s = size, pixels = s * s;
        Random rnd = new Random(seed * 1_000_003L + ordinal());
        double[] tps = this == E ? elasticCoefficients(s) : null;
        float[] out = new float[n * pixels];
        int chunk = Math.min(n, CHUNK);
        float[] grid = new float[chunk * pixels * 2];
        for (int start = 0; start < n; start += chunk) {
            int m = Math.min(chunk, n - start);
            for (int i = 0; i < m; i++) {
                if (this == P) {
                    projectiveGrid(projectiveCorners(rnd), s, grid, i * pixels * 2);
                } else {
                    elasticGrid(tps, elasticSources(rnd), s, grid, i * pixels * 2);
                }
            }
            sample(d, start, m, grid, s, out, ops);
        }
        return new Dataset(out, d.labels().clone(), s, s);
    }

    /** Samples images start..start+m of d through grid [m, s, s, 2] into their places in out (bilinear, zeros). */
    static void sample(Dataset d, int start, int m, float[] grid, int s, float[] out, SpatialOps ops) {
        long in = (long) d.h() * d.w(), px = (long) s * s;
        try (Tensor input = Tensor.wrap(MemorySegment.ofArray(d.images()).asSlice(start * in * 4, m * in * 4), m, 1,
                     d.h(), d.w());
             Tensor g = Tensor.wrap(MemorySegment.ofArray(grid), m, s, s, 2);
             Tensor output = Tensor.wrap(MemorySegment.ofArray(out).asSlice(start * px * 4, m * px * 4), m, 1, s, s)) {
            ops.gridSample(input, g, Interpolation.BILINEAR, Padding.ZEROS, false, output);
        }
    }

    /** The normalised coordinate of the centre of pixel i of s (align_corners = false). */
    static double centre(int i, int s) {
        return (2 * i + 1) / (double) s - 1;
    }

    /** P's quadrilateral: where the corners (-1,-1), (1,-1), (1,1), (-1,1) of the image go, as (x₀, y₀, …, x₃, y₃). */
    static double[] projectiveCorners(Random rnd) {
        double scale = P_MIN_SCALE + rnd.nextDouble() * (1 - P_MIN_SCALE);
        double[] quad = square();
        for (int k = 0; k < 8; k++) {
            quad[k] = scale * quad[k] + Math.max(-P_CLIP, Math.min(P_CLIP, rnd.nextGaussian() * P_SIGMA));
        }
        return quad;
    }

    private static double[] square() {
        return new double[] {-1, -1, 1, -1, 1, 1, -1, 1};
    }

    /**
     * The sampling grid of the homography taking the image's square to {@code quad}: output point p reads the input at
     * h⁻¹(p), h⁻¹ being the homography from quad to the square; points with w ≤ 0 (beyond the horizon) read far
     * outside, so zeros.
     */
    static void projectiveGrid(double[] quad, int s, float[] grid, int off) {
        Homography back = Homography.fromPoints(quad, square());
        for (int i = 0; i < s; i++) {
            double y = centre(i, s);
            for (int j = 0; j < s; j++) {
                double x = centre(j, s);
                int o = off + 2 * (i * s + j);
                if (back.w(x, y) > 1e-9) {
                    grid[o] = (float) back.u(x, y);
                    grid[o + 1] = (float) back.v(x, y);
                } else {
                    grid[o] = -4;
                    grid[o + 1] = -4;
                }
            }
        }
    }

    /** E's control points tₖ, row by row: the 4×4 grid at -1, -1/3, 1/3, 1. */
    static double[] elasticControlPoints() {
        double[] t = new double[E_GRID * E_GRID * 2];
        for (int a = 0; a < E_GRID; a++) {
            for (int b = 0; b < E_GRID; b++) {
                t[2 * (a * E_GRID + b)] = -1 + 2.0 * b / (E_GRID - 1);
                t[2 * (a * E_GRID + b) + 1] = -1 + 2.0 * a / (E_GRID - 1);
            }
        }
        return t;
    }

    /** E's sources sₖ = tₖ + dₖ for one image: x then y of each point, each shift uniform in ±{@link #E_SHIFT}. */
    static double[] elasticSources(Random rnd) {
        double[] src = elasticControlPoints();
        for (int k = 0; k < src.length; k++) src[k] += (rnd.nextDouble() * 2 - 1) * E_SHIFT;
        return src;
    }

    /**
     * The TPS through E's control points is linear in the sources, and the control points are fixed: the weights
     * cₖ(p) of every output pixel p of an s×s image, [s * s][K] flattened, computed once per call of apply.
     */
    static double[] elasticCoefficients(int s) {
        ThinPlateSpline tps = new ThinPlateSpline(elasticControlPoints());
        int k = E_GRID * E_GRID;
        double[] c = new double[s * s * k];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                System.arraycopy(tps.coefficients(centre(j, s), centre(i, s)), 0, c, (i * s + j) * k, k);
            }
        }
        return c;
    }

    /** The sampling grid f(p) = Σₖ cₖ(p) sₖ of one image, from {@link #elasticCoefficients} and its sources. */
    static void elasticGrid(double[] coefficients, double[] sources, int s, float[] grid, int off) {
        int k = sources.length / 2;
        for (int p = 0; p < s * s; p++) {
            double x = 0, y = 0;
            for (int q = 0; q < k; q++) {
                x += coefficients[p * k + q] * sources[2 * q];
                y += coefficients[p * k + q] * sources[2 * q + 1];
            }
            grid[off + 2 * p] = (float) x;
            grid[off + 2 * p + 1] = (float) y;
        }
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

package io.github.stn4j.data;

/**
 * The projective map h (3×3, h₃₃ = 1) that takes four points to four others, in double precision:
 * (x, y) ↦ ((h₀x + h₁y + h₂) / w, (h₃x + h₄y + h₅) / w) with w = h₆x + h₇y + 1.
 */
final class Homography {
    private final double[] h;

    private Homography(double[] h) {
        this.h = h;
    }

    /**
     * The homography with h(from[k]) = to[k] for k = 0..3, each array (x₀, y₀, …, x₃, y₃).
     *
     * @throws IllegalArgumentException if three of the points lie on a line
     */
    static Homography fromPoints(double[] from, double[] to) {
        double[][] a = new double[8][];
        double[] b = new double[8];
        for (int k = 0; k < 4; k++) {
            double x = from[2 * k], y = from[2 * k + 1], u = to[2 * k], v = to[2 * k + 1];
            // u·(h₆x + h₇y + 1) = h₀x + h₁y + h₂, and the same for v with h₃..h₅
            a[2 * k] = new double[] {x, y, 1, 0, 0, 0, -u * x, -u * y};
            a[2 * k + 1] = new double[] {0, 0, 0, x, y, 1, -v * x, -v * y};
            b[2 * k] = u;
            b[2 * k + 1] = v;
        }
        double[] x = new LinearSystem(a).solve(b);
        return new Homography(new double[] {x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], 1});
    }

    /** w of the point (x, y): its image is finite and in front where w > 0. */
    double w(double x, double y) {
        return h[6] * x + h[7] * y + h[8];
    }

    double u(double x, double y) {
        return (h[0] * x + h[1] * y + h[2]) / w(x, y);
    }

    double v(double x, double y) {
        return (h[3] * x + h[4] * y + h[5]) / w(x, y);
    }
}

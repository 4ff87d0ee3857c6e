package io.github.stn4j.data;

/**
 * The interpolating thin-plate spline (Bookstein 1989) through K fixed control points t₁..t_K, in double precision:
 * f(p) = a₀ + a₁x + a₂y + Σₖ wₖ U(‖p − tₖ‖), U(r) = r² log r² (U(0) = 0), with f(tₖ) = sₖ, Σ wₖ = 0 and
 * Σ wₖ tₖ = 0. The (K+3)² system L·(w, a) = (s, 0) depends on the tₖ only, so it is factorised once; f is linear in
 * the values sₖ, and {@link #coefficients} gives, for a point p, the cₖ(p) with f(p) = Σₖ cₖ(p) sₖ (cₖ = the first K
 * entries of L⁻¹·b(p), b(p) = (U(‖p − t₁‖), …, U(‖p − t_K‖), 1, x, y), since L is symmetric).
 */
final class ThinPlateSpline {
    private final double[] points;
    private final LinearSystem system;

    /**
     * @param points the control points tₖ, (x₁, y₁, …, x_K, y_K)
     * @throws IllegalArgumentException for fewer than 3 points, duplicates or all points on a line (L is singular)
     */
    ThinPlateSpline(double[] points) {
        int k = points.length / 2;
        if (k < 3 || points.length % 2 != 0) throw new IllegalArgumentException("a TPS needs 3 or more points");
        this.points = points.clone();
        double[][] l = new double[k + 3][k + 3];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                l[i][j] = u(points[2 * i] - points[2 * j], points[2 * i + 1] - points[2 * j + 1]);
            }
            double[] p = {1, points[2 * i], points[2 * i + 1]};
            for (int c = 0; c < 3; c++) {
                l[i][k + c] = p[c];
                l[k + c][i] = p[c];
            }
        }
        system = new LinearSystem(l);
    }

    /** U of a displacement (dx, dy): r² log r², 0 at r = 0. */
    static double u(double dx, double dy) {
        double r2 = dx * dx + dy * dy;
        return r2 == 0 ? 0 : r2 * Math.log(r2);
    }

    /** The K weights cₖ(p) of the values sₖ at the point p = (x, y). */
    double[] coefficients(double x, double y) {
        int k = points.length / 2;
        double[] b = new double[k + 3];
        for (int i = 0; i < k; i++) b[i] = u(x - points[2 * i], y - points[2 * i + 1]);
        b[k] = 1;
        b[k + 1] = x;
        b[k + 2] = y;
        return java.util.Arrays.copyOf(system.solve(b), k);
    }
}

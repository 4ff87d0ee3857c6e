package io.github.stn4j.data;

/**
 * A square linear system A·x = b in double precision, factorised once (LU with partial pivoting) and solved for as
 * many right-hand sides as needed: the homography of the P distortion and the thin-plate spline of E. Small systems
 * only (a few dozen unknowns); the library's own grids ({@code SpatialOps}) have their own solvers.
 */
final class LinearSystem {
    private final double[][] lu;
    private final int[] pivot;

    /**
     * Factorises {@code a} (not modified).
     *
     * @throws IllegalArgumentException if {@code a} is singular (a pivot below 1e-12 of the largest entry)
     */
    LinearSystem(double[][] a) {
        int n = a.length;
        lu = new double[n][];
        double largest = 0;
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) throw new IllegalArgumentException("not square: row " + i + " of " + a[i].length);
            lu[i] = a[i].clone();
            for (double v : a[i]) largest = Math.max(largest, Math.abs(v));
        }
        pivot = new int[n];
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.abs(lu[i][k]) > Math.abs(lu[p][k])) p = i;
            if (!(Math.abs(lu[p][k]) > 1e-12 * largest)) {
                throw new IllegalArgumentException("singular system (pivot " + lu[p][k] + " in column " + k + ")");
            }
            pivot[k] = p;
            double[] t = lu[k];
            lu[k] = lu[p];
            lu[p] = t;
            for (int i = k + 1; i < n; i++) {
                double f = lu[i][k] /= lu[k][k];
                for (int j = k + 1; j < n; j++) lu[i][j] -= f * lu[k][j];
            }
        }
    }

    /** x with A·x = b ({@code b} is not modified). */
    double[] solve(double[] b) {
        int n = lu.length;
        double[] x = b.clone();
        for (int k = 0; k < n; k++) { // the row swaps of the factorisation, in order
            double t = x[k];
            x[k] = x[pivot[k]];
            x[pivot[k]] = t;
        }
        for (int i = 1; i < n; i++) for (int j = 0; j < i; j++) x[i] -= lu[i][j] * x[j]; // L (unit diagonal)
        for (int i = n - 1; i >= 0; i--) { // U
            for (int j = i + 1; j < n; j++) x[i] -= lu[i][j] * x[j];
            x[i] /= lu[i][i];
        }
        return x;
    }
}

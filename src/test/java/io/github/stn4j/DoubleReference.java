package io.github.stn4j;

/**
 * A double-precision version of the specification's forward passes (test only), the reference for finite-difference
 * gradient checks: in double, central differences are accurate to ~1e-9, far below the 1% errors they must catch.
 * Same formulas as JAVA_SCALAR, for finite grids (no clamping rules needed); the projective and thin-plate-spline
 * grids are computed independently of stn4j's implementation (the spline solved per sample by Gaussian elimination).
 */
public final class DoubleReference {
    private DoubleReference() {}

    static double unnormalize(double g, long size, boolean ac) {
        return ac ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
    }

    static double pad(double x, long size, Padding p, boolean ac) {
        if (p == Padding.REFLECTION) {
            double lo = ac ? 0 : -0.5, span = ac ? size - 1 : size;
            if (span <= 0) return 0;
            double d = Math.abs(x - lo);
            double flips = Math.floor(d / span), extra = d - flips * span;
            x = flips % 2 == 0 ? extra + lo : span - extra + lo;
        }
        if (p != Padding.ZEROS) x = Math.min(Math.max(x, 0), size - 1);
        return x;
    }

    static double at(double[] in, long base, long y, long x, long h, long w) {
        return x >= 0 && x < w && y >= 0 && y < h ? in[(int) (base + y * w + x)] : 0;
    }

    static double cubic(double t, int k) {
        double a = -0.75;
        double x = Math.abs(t - (k - 1)); // distance of tap k (at -1, 0, 1, 2) from t
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    /** grid_sample 2-D forward. */
    public static double[] sample2d(double[] in, double[] grid, long n, long c, long h, long w, long oh, long ow,
                             Interpolation mode, Padding p, boolean ac) {
        double[] out = new double[(int) (n * c * oh * ow)];
        for (long b = 0; b < n; b++) {
            for (long q = 0; q < oh * ow; q++) {
                double gx = grid[(int) ((b * oh * ow + q) * 2)], gy = grid[(int) ((b * oh * ow + q) * 2 + 1)];
                for (long ch = 0; ch < c; ch++) {
                    long base = (b * c + ch) * h * w;
                    double v = 0;
                    if (mode == Interpolation.BICUBIC) {
                        double x = unnormalize(gx, w, ac), y = unnormalize(gy, h, ac);
                        double x0 = Math.floor(x), y0 = Math.floor(y);
                        for (int j = 0; j < 4; j++) {
                            for (int i = 0; i < 4; i++) {
                                long tx = (long) pad(x0 - 1 + i, w, p, ac), ty = (long) pad(y0 - 1 + j, h, p, ac);
                                v += at(in, base, ty, tx, h, w) * cubic(x - x0, i) * cubic(y - y0, j);
                            }
                        }
                    } else {
                        double x = pad(unnormalize(gx, w, ac), w, p, ac), y = pad(unnormalize(gy, h, ac), h, p, ac);
                        if (mode == Interpolation.NEAREST) {
                            v = at(in, base, (long) Math.rint(y), (long) Math.rint(x), h, w);
                        } else {
                            long x0 = (long) Math.floor(x), y0 = (long) Math.floor(y);
                            double tx = x - x0, ty = y - y0;
                            v = at(in, base, y0, x0, h, w) * (1 - tx) * (1 - ty) + at(in, base, y0, x0 + 1, h, w) * tx
                                    * (1 - ty) + at(in, base, y0 + 1, x0, h, w) * (1 - tx) * ty
                                    + at(in, base, y0 + 1, x0 + 1, h, w) * tx * ty;
                        }
                    }
                    out[(int) ((b * c + ch) * oh * ow + q)] = v;
                }
            }
        }
        return out;
    }

    /** grid_sample 3-D forward (trilinear or nearest). */
    public static double[] sample3d(double[] in, double[] grid, long n, long c, long d, long h, long w, long outVol,
                             Interpolation mode, Padding p, boolean ac) {
        double[] out = new double[(int) (n * c * outVol)];
        for (long b = 0; b < n; b++) {
            for (long q = 0; q < outVol; q++) {
                int g = (int) ((b * outVol + q) * 3);
                double x = pad(unnormalize(grid[g], w, ac), w, p, ac), y = pad(unnormalize(grid[g + 1], h, ac), h, p,
                        ac), z = pad(unnormalize(grid[g + 2], d, ac), d, p, ac);
                for (long ch = 0; ch < c; ch++) {
                    long base = (b * c + ch) * d * h * w;
                    double v = 0;
                    if (mode == Interpolation.NEAREST) {
                        long zi = (long) Math.rint(z);
                        if (zi >= 0 && zi < d) v = at(in, base + zi * h * w, (long) Math.rint(y), (long) Math.rint(x), h, w);
                    } else {
                        long x0 = (long) Math.floor(x), y0 = (long) Math.floor(y), z0 = (long) Math.floor(z);
                        for (int k = 0; k < 2; k++) {
                            if (z0 + k < 0 || z0 + k >= d) continue;
                            double wz = k == 0 ? 1 - (z - z0) : z - z0;
                            for (int j = 0; j < 2; j++) {
                                double wy = j == 0 ? 1 - (y - y0) : y - y0;
                                for (int i = 0; i < 2; i++) {
                                    double wx = i == 0 ? 1 - (x - x0) : x - x0;
                                    v += wx * wy * wz * at(in, base + (z0 + k) * h * w, y0 + j, x0 + i, h, w);
                                }
                            }
                        }
                    }
                    out[(int) ((b * c + ch) * outVol + q)] = v;
                }
            }
        }
        return out;
    }

    /** affine_grid forward, 2-D ([n,2,3]) or 3-D ([n,3,4]) by the length of size. */
    public static double[] affine(double[] theta, long[] size, boolean ac) {
        boolean is3d = size.length == 5;
        long n = size[0], d = is3d ? size[2] : 1, h = size[size.length - 2], w = size[size.length - 1];
        int k = is3d ? 3 : 2, cols = k + 1;
        double[] grid = new double[(int) (n * d * h * w * k)];
        int o = 0;
        for (long b = 0; b < n; b++) {
            for (long zz = 0; zz < d; zz++) {
                for (long i = 0; i < h; i++) {
                    for (long j = 0; j < w; j++) {
                        double[] base = is3d ? new double[] {lin(j, w, ac), lin(i, h, ac), lin(zz, d, ac), 1}
                                : new double[] {lin(j, w, ac), lin(i, h, ac), 1};
                        for (int r = 0; r < k; r++) {
                            double s = 0;
                            for (int q = 0; q < cols; q++) s += theta[(int) (b * k * cols + r * cols + q)] * base[q];
                            grid[o++] = s;
                        }
                    }
                }
            }
        }
        return grid;
    }

    /** The projective grid, 2-D: (u / w, v / w) with (u, v, w) = theta[n] (3 x 3) · (x, y, 1); no horizon rule. */
    public static double[] perspective(double[] theta, long[] size, boolean ac) {
        long n = size[0], h = size[2], w = size[3];
        double[] grid = new double[(int) (n * h * w * 2)];
        int o = 0;
        for (long b = 0; b < n; b++) {
            int t = (int) (b * 9);
            for (long i = 0; i < h; i++) {
                for (long j = 0; j < w; j++) {
                    double x = lin(j, w, ac), y = lin(i, h, ac);
                    double u = theta[t] * x + theta[t + 1] * y + theta[t + 2];
                    double v = theta[t + 3] * x + theta[t + 4] * y + theta[t + 5];
                    double ww = theta[t + 6] * x + theta[t + 7] * y + theta[t + 8];
                    grid[o++] = u / ww;
                    grid[o++] = v / ww;
                }
            }
        }
        return grid;
    }

    /**
     * The thin-plate-spline grid, 2-D, solved per sample and coordinate on its own: Gaussian elimination with partial
     * pivoting of [[U(|t_i - t_j|), P], [Pᵀ, 0]] (w, a) = (s, 0), then f(p) = a0 + a1 x + a2 y + Σ w_k U(|p - t_k|)
     * at every base-grid point, all in double. sources [n, K, 2], targets [K, 2].
     */
    public static double[] tps(double[] sources, double[] targets, long[] size, boolean ac) {
        long n = size[0], h = size[2], w = size[3];
        int k = targets.length / 2, m = k + 3;
        double[] grid = new double[(int) (n * h * w * 2)];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < 2; c++) {
                double[][] a = new double[m][m + 1];
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        a[i][j] = tpsU(targets[2 * i] - targets[2 * j], targets[2 * i + 1] - targets[2 * j + 1]);
                    }
                    double[] p = {1, targets[2 * i], targets[2 * i + 1]};
                    for (int q = 0; q < 3; q++) {
                        a[i][k + q] = p[q];
                        a[k + q][i] = p[q];
                    }
                    a[i][m] = sources[(b * k + i) * 2 + c];
                }
                double[] coef = gauss(a);
                for (long i = 0; i < h; i++) {
                    for (long j = 0; j < w; j++) {
                        double x = lin(j, w, ac), y = lin(i, h, ac);
                        double f = coef[k] + coef[k + 1] * x + coef[k + 2] * y;
                        for (int q = 0; q < k; q++) f += coef[q] * tpsU(x - targets[2 * q], y - targets[2 * q + 1]);
                        grid[(int) (((b * h + i) * w + j) * 2 + c)] = f;
                    }
                }
            }
        }
        return grid;
    }

    static double tpsU(double dx, double dy) {
        double r2 = dx * dx + dy * dy;
        return r2 == 0 ? 0 : r2 * Math.log(r2);
    }

    /** Solves the augmented system a = [A | b] by Gaussian elimination with partial pivoting. */
    static double[] gauss(double[][] a) {
        int m = a.length;
        for (int c = 0; c < m; c++) {
            int p = c;
            for (int r = c + 1; r < m; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            double[] swap = a[c];
            a[c] = a[p];
            a[p] = swap;
            for (int r = c + 1; r < m; r++) {
                double f = a[r][c] / a[c][c];
                for (int j = c; j <= m; j++) a[r][j] -= f * a[c][j];
            }
        }
        double[] x = new double[m];
        for (int i = m - 1; i >= 0; i--) {
            double v = a[i][m];
            for (int j = i + 1; j < m; j++) v -= a[i][j] * x[j];
            x[i] = v / a[i][i];
        }
        return x;
    }

    static double lin(long i, long steps, boolean ac) {
        if (steps <= 1) return 0;
        double v = -1 + 2.0 * i / (steps - 1);
        return ac ? v : v * (steps - 1) / steps;
    }
}

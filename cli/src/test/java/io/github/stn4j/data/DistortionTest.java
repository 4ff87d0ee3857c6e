package io.github.stn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Backend;
import io.github.stn4j.SpatialOps;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** P and E, and the double-precision solvers behind them; DataTest checks every distortion's seeding and size. */
class DistortionTest {
    static final SpatialOps OPS = SpatialOps.of(Backend.JAVA_SCALAR);

    static Dataset images(int n) throws IOException {
        return Idx.load(DataTest.SUBSET, "t10k").head(n);
    }

    @Test
    void pAndEKeep28x28AndTheRange() throws IOException {
        Dataset d = images(50);
        for (Distortion dist : new Distortion[] {Distortion.P, Distortion.E}) {
            Dataset a = dist.apply(d, 3, OPS);
            assertEquals(28, a.h());
            assertEquals(28, a.w());
            for (float v : a.images()) assertTrue(v >= 0 && v <= 1, dist + " made " + v);
            assertFalse(Arrays.equals(d.images(), a.images()), dist + " changed nothing");
        }
    }

    /** Chunks of 4,096 images: the images after the first chunk get their own grids, as in one call. */
    @Test
    void chunksDoNotChangeTheImages() throws IOException {
        Dataset one = images(1);
        float[] many = new float[5000 * 28 * 28];
        for (int i = 0; i < 5000; i++) System.arraycopy(one.images(), 0, many, i * 784, 784);
        Dataset d = new Dataset(many, new int[5000], 28, 28);
        for (Distortion dist : new Distortion[] {Distortion.P, Distortion.E}) {
            Dataset a = dist.apply(d, 5, OPS);
            Random rnd = new Random(5 * 1_000_003L + dist.ordinal());
            float[] grid = new float[784 * 2];
            double[] tps = Distortion.elasticCoefficients(28);
            float[] expected = new float[784];
            for (int i = 0; i < 5000; i++) {
                if (dist == Distortion.P) {
                    Distortion.projectiveGrid(Distortion.projectiveCorners(rnd), 28, grid, 0);
                } else {
                    Distortion.elasticGrid(tps, Distortion.elasticSources(rnd), 28, grid, 0);
                }
                if (i != 0 && i != 4095 && i != 4096 && i != 4999) continue;
                Distortion.sample(one, 0, 1, grid, 28, expected, OPS);
                assertArrayEquals(expected, Arrays.copyOfRange(a.images(), i * 784, (i + 1) * 784),
                        dist + " image " + i);
            }
        }
    }

    @Test
    void aZeroDisplacementReturnsTheImage() throws IOException {
        Dataset d = images(3);
        float[] grid = new float[3 * 784 * 2], out = new float[3 * 784];
        double[] square = {-1, -1, 1, -1, 1, 1, -1, 1};
        for (int i = 0; i < 3; i++) Distortion.projectiveGrid(square, 28, grid, i * 784 * 2);
        Distortion.sample(d, 0, 3, grid, 28, out, OPS);
        assertArrayEquals(d.images(), out, 1e-5f, "P with the square itself");
        double[] tps = Distortion.elasticCoefficients(28);
        for (int i = 0; i < 3; i++) {
            Distortion.elasticGrid(tps, Distortion.elasticControlPoints(), 28, grid, i * 784 * 2);
        }
        Distortion.sample(d, 0, 3, grid, 28, out, OPS);
        assertArrayEquals(d.images(), out, 1e-5f, "E with every control point in place");
    }

    @Test
    void projectiveCornersStayWithinTheirBounds() {
        Random rnd = new Random(1);
        double[] square = {-1, -1, 1, -1, 1, 1, -1, 1};
        double lo = Double.MAX_VALUE, hi = 0;
        for (int i = 0; i < 10_000; i++) {
            double[] q = Distortion.projectiveCorners(rnd);
            for (int k = 0; k < 8; k++) {
                double a = q[k] * square[k]; // how far out along its own axis: scale ± 3σ
                assertTrue(a >= 0.75 - 0.3 - 1e-12 && a <= 1 + 0.3 + 1e-12, "corner coordinate " + q[k]);
                lo = Math.min(lo, a);
                hi = Math.max(hi, a);
            }
        }
        assertTrue(lo < 0.55 && hi > 1.2, "the draws do not cover the range: " + lo + " to " + hi);
    }

    @Test
    void elasticSourcesMoveAtMostSevenAndAHalfPercent() {
        Random rnd = new Random(2);
        double[] t = Distortion.elasticControlPoints();
        assertEquals(32, t.length);
        double largest = 0;
        for (int i = 0; i < 1000; i++) {
            double[] s = Distortion.elasticSources(rnd);
            for (int k = 0; k < 32; k++) largest = Math.max(largest, Math.abs(s[k] - t[k]));
        }
        assertTrue(largest <= 0.15 && largest > 0.149, "largest shift " + largest);
    }

    @Test
    void theHomographyTakesTheFourPointsToTheirImages() {
        double[] from = {-1, -1, 1, -1, 1, 1, -1, 1}, to = {-0.8, -0.9, 0.7, -0.75, 1.1, 0.95, -0.6, 0.7};
        Homography h = Homography.fromPoints(from, to);
        for (int k = 0; k < 4; k++) {
            assertEquals(to[2 * k], h.u(from[2 * k], from[2 * k + 1]), 1e-12);
            assertEquals(to[2 * k + 1], h.v(from[2 * k], from[2 * k + 1]), 1e-12);
        }
        // a homography keeps lines: the midpoint of an edge lands on the image edge
        double u = h.u(0, -1), v = h.v(0, -1);
        assertEquals(0, (to[2] - to[0]) * (v - to[1]) - (to[3] - to[1]) * (u - to[0]), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Homography.fromPoints(new double[] {0, 0, 1, 1, 2, 2, 0, 1},
                to));
    }

    @Test
    void theSplineInterpolatesAndKeepsAffineMaps() {
        double[] t = Distortion.elasticControlPoints();
        ThinPlateSpline tps = new ThinPlateSpline(t);
        for (int k = 0; k < 16; k++) { // at a control point, its own value and nothing else
            double[] c = tps.coefficients(t[2 * k], t[2 * k + 1]);
            for (int q = 0; q < 16; q++) assertEquals(q == k ? 1 : 0, c[q], 1e-12, "c" + q + " at t" + k);
        }
        Random rnd = new Random(4);
        for (int i = 0; i < 100; i++) { // values of an affine map: the spline is that map everywhere
            double x = rnd.nextDouble() * 2.4 - 1.2, y = rnd.nextDouble() * 2.4 - 1.2;
            double[] c = tps.coefficients(x, y);
            double fx = 0, fy = 0;
            for (int q = 0; q < 16; q++) {
                fx += c[q] * (0.9 * t[2 * q] - 0.2 * t[2 * q + 1] + 0.1);
                fy += c[q] * (0.3 * t[2 * q] + 1.1 * t[2 * q + 1] - 0.05);
            }
            assertEquals(0.9 * x - 0.2 * y + 0.1, fx, 1e-12);
            assertEquals(0.3 * x + 1.1 * y - 0.05, fy, 1e-12);
        }
        // a bend between the points: a moved point pulls its neighbourhood, less so farther away
        double[] bent = t.clone();
        bent[2 * 5] += 0.1; // the point at (-1/3, -1/3)
        double near = 0, far = 0;
        double[] cn = tps.coefficients(-0.3, -0.3), cf = tps.coefficients(0.9, 0.9);
        for (int q = 0; q < 16; q++) {
            near += cn[q] * (bent[2 * q] - t[2 * q]);
            far += cf[q] * (bent[2 * q] - t[2 * q]);
        }
        assertTrue(near > 0.08 && Math.abs(far) < 0.03, "near " + near + ", far " + far);
        for (double[] bad : new double[][] {{0, 0, 1, 1}, {0, 0, 1, 1, 2, 2}, {0, 0, 1, 0, 1, 0, 0, 1}}) {
            assertThrows(IllegalArgumentException.class, () -> new ThinPlateSpline(bad), Arrays.toString(bad));
        }
    }
}

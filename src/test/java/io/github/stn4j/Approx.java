package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons as the issues define them: |a - b| <= tol * max(1, max |reference|). */
final class Approx {
    private Approx() {}

    static void assertClose(float[] actual, float[] expected, double tol, String what) {
        if (actual.length != expected.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        if (expected.length == 0) fail(what + ": nothing to compare"); // no test may pass without checking a value
        double scale = 1;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        double bound = tol * scale;
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            if (!(err <= bound) && !(Float.isNaN(actual[i]) && Float.isNaN(expected[i]))) {
                if (worst < 0 || err > worstErr || Double.isNaN(err)) {
                    worst = i;
                    worstErr = err;
                }
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + actual[worst] + ", expected " + expected[worst] + " (error "
                    + worstErr + " > " + bound + ")");
        }
    }
}

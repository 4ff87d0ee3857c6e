package io.github.stn4j.internal.vector;

import io.github.stn4j.internal.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The inner loops of {@link Gemm} with the Vector API (loaded by name only when the module is present). */
public final class VectorGemm extends Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector.fromArray(S, x, xOff + j).fma(a, FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) y[yOff + j] += alpha * x[xOff + j];
    }

    @Override
    public float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    @Override
    public String name() {
        return "vector-api(" + L + " lanes)";
    }
}

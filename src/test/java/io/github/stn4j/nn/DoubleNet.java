package io.github.stn4j.nn;

import io.github.stn4j.DoubleReference;
import java.util.Map;

/**
 * Evaluates a network of the library's layers in double precision (test only), with parameter values taken from a
 * map, so that finite differences of whole networks are accurate to ~1e-9 instead of float32's ~1e-4.
 */
final class DoubleNet {
    record Value(double[] data, long[] shape) {}

    private final Map<Var, double[]> params;

    DoubleNet(Map<Var, double[]> params) {
        this.params = params;
    }

    Value eval(Layer m, Value x) {
        return switch (m) {
            case Sequential s -> {
                Value v = x;
                for (Layer k : s.modules()) v = eval(k, v);
                yield v;
            }
            case Linear l -> linear(flatten(x), params.get(l.weight), params.get(l.bias), (int) l.weight.size(0));
            case Conv2d c -> conv(x, params.get(c.weight), params.get(c.bias), c.weight.shape(), c.padding);
            case ReLU r -> {
                double[] y = x.data.clone();
                for (int i = 0; i < y.length; i++) y[i] = Math.max(0, y[i]);
                yield new Value(y, x.shape);
            }
            case Flatten f -> flatten(x);
            case MaxPool2d p -> pool(x, p.k);
            case SpatialTransformer st -> {
                Value f = flatten(eval(st.localisation, x));
                Value theta = linear(f, params.get(st.regression.weight), params.get(st.regression.bias),
                        st.transform.parameters());
                long[] size = {x.shape[0], x.shape[1], st.outH, st.outW};
                double[] grid;
                if (st.transform.isAffine()) {
                    grid = DoubleReference.affine(theta.data, size, st.alignCorners);
                } else if (st.transform.isProjective()) {
                    double[] h = new double[(int) x.shape[0] * 9];
                    for (int b = 0; b < x.shape[0]; b++) {
                        System.arraycopy(theta.data, b * 8, h, b * 9, 8);
                        h[b * 9 + 8] = 1;
                    }
                    grid = DoubleReference.perspective(h, size, st.alignCorners);
                } else {
                    float[] t = st.transform.targets();
                    double[] td = new double[t.length];
                    for (int i = 0; i < t.length; i++) td[i] = t[i];
                    grid = DoubleReference.tps(theta.data, td, size, st.alignCorners);
                }
                yield new Value(DoubleReference.sample2d(x.data, grid, x.shape[0], x.shape[1], x.shape[2], x.shape[3],
                        st.outH, st.outW, st.mode, st.padding, st.alignCorners), size);
            }
            default -> throw new IllegalArgumentException("no double evaluation for " + m);
        };
    }

    static Value flatten(Value x) {
        long rest = 1;
        for (int i = 1; i < x.shape.length; i++) rest *= x.shape[i];
        return new Value(x.data, new long[] {x.shape[0], rest});
    }

    static Value linear(Value x, double[] w, double[] b, int out) {
        int bs = (int) x.shape[0], in = (int) x.shape[1];
        double[] y = new double[bs * out];
        for (int i = 0; i < bs; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int k = 0; k < in; k++) s += x.data[i * in + k] * w[o * in + k];
                y[i * out + o] = s;
            }
        }
        return new Value(y, new long[] {bs, out});
    }

    static Value conv(Value x, double[] w, double[] b, long[] ws, int pad) {
        int bs = (int) x.shape[0], c = (int) x.shape[1], h = (int) x.shape[2], wd = (int) x.shape[3];
        int o = (int) ws[0], k = (int) ws[2], oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
        double[] y = new double[bs * o * oh * ow];
        for (int s = 0; s < bs; s++) for (int oc = 0; oc < o; oc++) for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                double v = b[oc];
                for (int ci = 0; ci < c; ci++) for (int a = 0; a < k; a++) for (int e = 0; e < k; e++) {
                    int iy = i + a - pad, ix = j + e - pad;
                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                        v += x.data[((s * c + ci) * h + iy) * wd + ix] * w[((oc * c + ci) * k + a) * k + e];
                    }
                }
                y[((s * o + oc) * oh + i) * ow + j] = v;
            }
        }
        return new Value(y, new long[] {bs, o, oh, ow});
    }

    static Value pool(Value x, int k) {
        int planes = (int) (x.shape[0] * x.shape[1]), h = (int) x.shape[2], w = (int) x.shape[3];
        int oh = h / k, ow = w / k;
        double[] y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < k; a++) for (int e = 0; e < k; e++) m = Math.max(m, x.data[(p * h + i * k + a) * w + j * k + e]);
            y[(p * oh + i) * ow + j] = m;
        }
        return new Value(y, new long[] {x.shape[0], x.shape[1], oh, ow});
    }
}

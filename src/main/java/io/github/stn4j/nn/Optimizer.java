package io.github.stn4j.nn;

import java.util.List;

/** Updates parameters from their gradients. */
public abstract class Optimizer {
    protected final List<Var> params;
    protected float lr;

    protected Optimizer(List<Var> params, float lr) {
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    /** Applies one update from the current gradients (parameters without a gradient are left alone). */
    public abstract void step();

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Var p : params) p.zeroGrad();
    }

    public float learningRate() {
        return lr;
    }

    public void setLearningRate(float lr) {
        this.lr = lr;
    }

    /** SGD with momentum (PyTorch's formulation: v = μ·v + g; p -= lr·v). */
    public static final class Sgd extends Optimizer {
        private final float momentum;
        private final float[][] velocity;

        public Sgd(List<Var> params, float lr, float momentum) {
            super(params, lr);
            this.momentum = momentum;
            this.velocity = new float[this.params.size()][];
        }

        @Override
        public void step() {
            for (int i = 0; i < params.size(); i++) {
                Var p = params.get(i);
                if (p.grad == null) continue;
                if (velocity[i] == null) velocity[i] = new float[p.data.length];
                float[] v = velocity[i];
                for (int k = 0; k < v.length; k++) {
                    v[k] = momentum * v[k] + p.grad[k];
                    p.data[k] -= lr * v[k];
                }
            }
        }
    }

    /** Adam (Kingma and Ba), with bias correction. */
    public static final class Adam extends Optimizer {
        private final float beta1, beta2, eps;
        private final float[][] m, v;
        private int t;

        public Adam(List<Var> params, float lr) {
            this(params, lr, 0.9f, 0.999f, 1e-8f);
        }

        public Adam(List<Var> params, float lr, float beta1, float beta2, float eps) {
            super(params, lr);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.m = new float[this.params.size()][];
            this.v = new float[this.params.size()][];
        }

        @Override
        public void step() {
            t++;
            double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
            for (int i = 0; i < params.size(); i++) {
                Var p = params.get(i);
                if (p.grad == null) continue;
                if (m[i] == null) {
                    m[i] = new float[p.data.length];
                    v[i] = new float[p.data.length];
                }
                float[] mi = m[i], vi = v[i];
                for (int k = 0; k < mi.length; k++) {
                    float g = p.grad[k];
                    mi[k] = beta1 * mi[k] + (1 - beta1) * g;
                    vi[k] = beta2 * vi[k] + (1 - beta2) * g * g;
                    p.data[k] -= (float) (lr * (mi[k] / c1) / (Math.sqrt(vi[k] / c2) + eps));
                }
            }
        }
    }
}

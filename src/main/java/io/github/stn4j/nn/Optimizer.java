package io.github.stn4j.nn;

import java.util.List;

/** Updates parameters from their gradients. */
public abstract class Optimizer {
    /** The parameters updated, in the order given. */
    protected final List<Var> params;
    /** The learning rate. */
    protected float lr;

    /**
     * An optimiser for the given parameters.
     *
     * @param params the parameters to update (copied)
     * @param lr the learning rate
     */
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

    /**
     * The learning rate.
     *
     * @return the current learning rate
     */
    public float learningRate() {
        return lr;
    }

    /**
     * Changes the learning rate used by the next {@link #step()} (e.g. for a schedule).
     *
     * @param lr the new learning rate
     */
    public void setLearningRate(float lr) {
        this.lr = lr;
    }

    /** SGD with momentum (PyTorch's formulation: v = μ·v + g; p -= lr·v). */
    public static final class Sgd extends Optimizer {
        private final float momentum;
        private final float[][] velocity;

        /**
         * SGD for the given parameters.
         *
         * @param params the parameters to update
         * @param lr the learning rate
         * @param momentum μ; 0 gives plain SGD
         */
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

        /**
         * Adam with PyTorch's defaults: β1 = 0.9, β2 = 0.999, ε = 1e-8.
         *
         * @param params the parameters to update
         * @param lr the learning rate
         */
        public Adam(List<Var> params, float lr) {
            this(params, lr, 0.9f, 0.999f, 1e-8f);
        }

        /**
         * Adam for the given parameters.
         *
         * @param params the parameters to update
         * @param lr the learning rate
         * @param beta1 decay rate of the first-moment (mean) estimate
         * @param beta2 decay rate of the second-moment (uncentred variance) estimate
         * @param eps added to the denominator for numerical stability
         */
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

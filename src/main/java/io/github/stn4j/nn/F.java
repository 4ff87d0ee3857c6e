package io.github.stn4j.nn;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import io.github.stn4j.internal.dense.Gemm;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The differentiable operations of the autograd tape. Each computes its value and records how to send gradients back
 * to its inputs (only to those that need one). Products and convolutions run on the dense kernels that stn4j chose
 * for this JVM (the native library's where it loads, else the Vector API's, else plain Java; {@code -Dstn4j.dense}
 * forces one), split over {@link io.github.stn4j.Parallel}'s threads; the grid generators (affine, projective,
 * thin-plate spline) and grid sample run on the {@link SpatialOps} they are given, {@link SpatialOps#best()} by
 * default (the native kernels where they load).
 */
public final class F {
    private F() {}

    private static final Gemm G = Gemm.get();

    /**
     * The spatial operations of {@link #affineGrid(Var, long[], boolean)} and
     * {@link #gridSample(Var, Var, Interpolation, Padding, boolean)}, the overloads that take none:
     * {@link SpatialOps#best()}.
     *
     * @return the default spatial operations
     */
    public static SpatialOps spatialOps() {
        return SpatialOps.best();
    }

    private static float[] scalar(float v) {
        float[] a = Workspace.floats(1, false);
        a[0] = v;
        return a;
    }

    /** A size as an int: the tape's values are Java arrays. */
    static int n(long v) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a tensor of " + v + " values does not fit a Java array (at most "
                    + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /**
     * y = x · wᵀ + b, as torch.nn.functional.linear.
     *
     * @param x the input, [B, in]
     * @param w the weight, [out, in]
     * @param b the bias, [out]
     * @return y, [B, out]
     */
    public static Var linear(Var x, Var w, Var b) {
        require(x.rank() == 2 && w.rank() == 2 && b.rank() == 1 && x.size(1) == w.size(1) && b.size(0) == w.size(0),
                "linear: x " + Arrays.toString(x.shape) + ", w " + Arrays.toString(w.shape) + ", b "
                        + Arrays.toString(b.shape) + " do not fit [B, in], [out, in], [out]");
        int bs = n(x.size(0)), in = n(x.size(1)), out = n(w.size(0));
        float[] y = Workspace.floats(n((long) bs * out), false);
        G.gemm(false, true, bs, out, in, x.data, w.data, y, false);
        for (int i = 0; i < bs; i++) for (int o = 0; o < out; o++) y[i * out + o] += b.data[o];
        return new Var(y, new long[] {bs, out}, false, new Var[] {x, w, b}, g -> {
            if (x.needsGrad) {
                float[] dx = Workspace.floats(bs * in, false);
                G.gemm(false, false, bs, in, out, g, w.data, dx, false);
                x.addGrad(dx);
            }
            if (w.needsGrad) {
                float[] dw = Workspace.floats(out * in, false);
                G.gemm(true, false, out, in, bs, g, x.data, dw, false);
                w.addGrad(dw);
            }
            if (b.needsGrad) {
                float[] db = Workspace.floats(out, true);
                for (int i = 0; i < bs; i++) for (int o = 0; o < out; o++) db[o] += g[i * out + o];
                b.addGrad(db);
            }
        });
    }

    /**
     * 2-D convolution, stride 1, zero padding {@code pad}: x [B, C, H, W], w [O, C, k, k], b [O] → [B, O, H', W'] with
     * H' = H + 2·pad - k + 1, on the dense kernels stn4j chose (native: per-sample im2col and packed products).
     *
     * @param x the input, [B, C, H, W]
     * @param w the kernels, [O, C, k, k]
     * @param b the bias, [O]
     * @param pad zeros added on each side of H and W
     * @return the output, [B, O, H + 2·pad - k + 1, W + 2·pad - k + 1]
     */
    public static Var conv2d(Var x, Var w, Var b, int pad) {
        return conv2d(x, w, b, pad, false);
    }

    /**
     * {@code relu(conv2d(x, w, b, pad))} in one pass: the same values as the two operations, one array and one pass
     * over the output fewer ({@link Sequential} fuses a {@link Conv2d} followed by a {@link ReLU} into this).
     *
     * @param x the input, [B, C, H, W]
     * @param w the kernels, [O, C, k, k]
     * @param b the bias, [O]
     * @param pad zeros added on each side of H and W
     * @return max(conv2d(x, w, b, pad), 0)
     */
    public static Var conv2dRelu(Var x, Var w, Var b, int pad) {
        return conv2d(x, w, b, pad, true);
    }

    private static Var conv2d(Var x, Var w, Var b, int pad, boolean relu) {
        require(x.rank() == 4 && w.rank() == 4 && w.size(2) == w.size(3) && x.size(1) == w.size(1) && b.rank() == 1
                && b.size(0) == w.size(0), "conv2d: x " + Arrays.toString(x.shape) + ", w " + Arrays.toString(w.shape)
                + ", b " + Arrays.toString(b.shape) + " do not fit [B, C, H, W], [O, C, k, k], [O]");
        require(pad >= 0, "conv2d: padding " + pad + " < 0");
        int bs = n(x.size(0)), c = n(x.size(1)), h = n(x.size(2)), wd = n(x.size(3));
        int o = n(w.size(0)), k = n(w.size(2));
        int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
        require(oh > 0 && ow > 0, "conv2d: kernel " + k + " larger than the padded input " + h + "x" + wd);
        n((long) c * k * k * oh * ow * Math.max(1, bs)); // every index below fits an int
        float[] y = Workspace.floats(n((long) bs * o * oh * ow), false);
        G.conv2dForward(x.data, w.data, b.data, y, bs, c, h, wd, o, k, pad, relu);
        float[] reluY = relu ? y : null; // the kernels take the gradient through the ReLU themselves
        return new Var(y, new long[] {bs, o, oh, ow}, false, new Var[] {x, w, b}, g -> {
            if (w.needsGrad || b.needsGrad) {
                float[] dw = Workspace.floats(o * c * k * k, false), db = Workspace.floats(o, false);
                G.conv2dBackwardWeight(g, reluY, x.data, dw, db, bs, c, h, wd, o, k, pad);
                if (w.needsGrad) w.addGrad(dw);
                if (b.needsGrad) b.addGrad(db);
            }
            if (x.needsGrad) {
                float[] dx = Workspace.floats(bs * c * h * wd, false);
                G.conv2dBackwardInput(g, reluY, w.data, dx, bs, c, h, wd, o, k, pad);
                x.addGrad(dx);
            }
        });
    }

    /**
     * Max pooling with a k×k window and stride k, as torch.nn.functional.max_pool2d(x, k).
     *
     * @param x the input, [B, C, H, W]
     * @param k the side of the window, which is also the stride
     * @return the output, [B, C, H/k, W/k] (floor)
     */
    public static Var maxPool2d(Var x, int k) {
        require(x.rank() == 4 && k >= 1, "maxPool2d: x must be [B, C, H, W], got " + Arrays.toString(x.shape));
        int planes = n(x.size(0) * x.size(1)), h = n(x.size(2)), w = n(x.size(3)), oh = h / k, ow = w / k;
        require(oh > 0 && ow > 0, "maxPool2d: window " + k + " larger than " + h + "x" + w);
        float[] y = Workspace.floats(planes * oh * ow, false);
        int[] arg = Workspace.ints(y.length);
        G.maxPool2d(x.data, y, arg, planes, h, w, k);
        return new Var(y, new long[] {x.size(0), x.size(1), oh, ow}, false, new Var[] {x}, g -> {
            float[] dx = Workspace.floats(x.data.length, false);
            G.maxPool2dBackward(g, arg, dx, planes, h, w, k);
            x.addGrad(dx);
        });
    }

    /**
     * max(x, 0), elementwise.
     *
     * @param x the input, any shape
     * @return the output, the same shape
     */
    public static Var relu(Var x) {
        float[] y = Workspace.floats(x.data.length, false);
        for (int i = 0; i < y.length; i++) y[i] = Math.max(0f, x.data[i]);
        return new Var(y, x.shape, false, new Var[] {x}, g -> {
            float[] dx = Workspace.floats(g.length, false);
            for (int i = 0; i < g.length; i++) dx[i] = x.data[i] > 0f ? g[i] : 0f;
            x.addGrad(dx);
        });
    }

    /**
     * The same values with another shape of the same size, as torch.reshape.
     *
     * @param x the input
     * @param shape the new dimensions; their product must be x's element count
     * @return x's values with the new shape
     */
    public static Var reshape(Var x, long... shape) {
        return new Var(x.data, shape, false, new Var[] {x}, g -> x.addGrad(g));
    }

    /**
     * Flattens all dimensions but the first, as torch.flatten(x, 1).
     *
     * @param x the input, [B, ...]
     * @return the same values, [B, rest]
     */
    public static Var flatten(Var x) {
        return reshape(x, x.size(0), x.data.length / Math.max(1, x.size(0)));
    }

    /**
     * Mean over the batch of -log softmax(logits)[label], as torch.nn.functional.cross_entropy.
     *
     * @param logits the unnormalised scores, [B, K]
     * @param labels the class of each sample, B values in [0, K)
     * @return the loss, a scalar
     */
    public static Var crossEntropy(Var logits, int[] labels) {
        require(logits.rank() == 2 && logits.size(0) == labels.length, "crossEntropy: logits "
                + Arrays.toString(logits.shape) + " and " + labels.length + " labels");
        int bs = labels.length, k = n(logits.size(1));
        float[] prob = Workspace.floats(bs * k, false);
        double loss = 0;
        for (int i = 0; i < bs; i++) {
            require(labels[i] >= 0 && labels[i] < k, "crossEntropy: label " + labels[i] + " outside [0, " + k + ")");
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) max = Math.max(max, logits.data[i * k + j]);
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.exp(logits.data[i * k + j] - max);
            for (int j = 0; j < k; j++) prob[i * k + j] = (float) (Math.exp(logits.data[i * k + j] - max) / sum);
            loss += -(logits.data[i * k + labels[i]] - max - Math.log(sum));
        }
        return new Var(scalar((float) (loss / bs)), new long[] {}, false, new Var[] {logits}, g -> {
            float[] dx = Workspace.floats(bs * k, false);
            float scale = g[0] / bs;
            for (int i = 0; i < bs; i++) {
                for (int j = 0; j < k; j++) dx[i * k + j] = (prob[i * k + j] - (j == labels[i] ? 1f : 0f)) * scale;
            }
            logits.addGrad(dx);
        });
    }

    /**
     * Mean of all elements.
     *
     * @param x the input, any shape
     * @return the mean, a scalar
     */
    public static Var mean(Var x) {
        double s = 0;
        for (float v : x.data) s += v;
        int count = x.data.length;
        return new Var(scalar((float) (s / count)), new long[] {}, false, new Var[] {x}, g -> {
            float[] dx = Workspace.floats(count, false);
            Arrays.fill(dx, g[0] / count);
            x.addGrad(dx);
        });
    }

    /**
     * Σ x·r for a fixed array r; gradient checks use it as their loss.
     *
     * @param x the input, any shape
     * @param r the weights, as many as x has elements (no gradient flows to them)
     * @return the weighted sum, a scalar
     */
    public static Var weightedSum(Var x, float[] r) {
        require(r.length == x.data.length, "weightedSum: " + r.length + " weights for " + x.data.length + " values");
        double s = 0;
        for (int i = 0; i < r.length; i++) s += (double) x.data[i] * r[i];
        return new Var(scalar((float) s), new long[] {}, false, new Var[] {x}, g -> {
            float[] dx = Workspace.floats(r.length, false);
            for (int i = 0; i < r.length; i++) dx[i] = r[i] * g[0];
            x.addGrad(dx);
        });
    }

    private static Tensor view(float[] a, long[] shape) {
        return Tensor.wrap(MemorySegment.ofArray(a), shape);
    }

    /**
     * {@link #affineGrid(SpatialOps, Var, long[], boolean)} on {@link SpatialOps#best()}.
     *
     * @param theta the affine matrices, [B, 2, 3]
     * @param size the output size {B, C, H, W}
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the grid, [B, H, W, 2]
     */
    public static Var affineGrid(Var theta, long[] size, boolean alignCorners) {
        return affineGrid(SpatialOps.best(), theta, size, alignCorners);
    }

    /**
     * The affine grid of theta, as torch.nn.functional.affine_grid; the gradient flows to theta.
     *
     * @param ops computes the grid and its backward pass
     * @param theta the affine matrices, [B, 2, 3]
     * @param size the output size {B, C, H, W}
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the grid, [B, H, W, 2]
     */
    public static Var affineGrid(SpatialOps ops, Var theta, long[] size, boolean alignCorners) {
        long[] gridShape = {size[0], size[2], size[3], 2};
        float[] grid = Workspace.floats(n(size[0] * size[2] * size[3] * 2), false);
        ops.affineGrid(view(theta.data, theta.shape), size, alignCorners, view(grid, gridShape));
        return new Var(grid, gridShape, false, new Var[] {theta}, g -> {
            float[] dt = Workspace.floats(theta.data.length, false);
            ops.affineGridBackward(view(g, gridShape), size, alignCorners, view(dt, theta.shape));
            theta.addGrad(dt);
        });
    }

    /**
     * Appends a column of ones: x [B, P] → [B, P + 1] with y[b, P] = 1 (the gradient of that column goes nowhere).
     * It turns the 8 free parameters of a projective transform into θ with θ33 = 1.
     *
     * @param x the input, [B, P]
     * @return x with a last column of ones, [B, P + 1]
     */
    public static Var appendOne(Var x) {
        require(x.rank() == 2, "appendOne: x must be [B, P], got " + Arrays.toString(x.shape));
        int bs = n(x.size(0)), p = n(x.size(1)), q = n((long) p + 1);
        float[] y = Workspace.floats(n((long) bs * q), false);
        for (int i = 0; i < bs; i++) {
            System.arraycopy(x.data, i * p, y, i * q, p);
            y[i * q + p] = 1f;
        }
        return new Var(y, new long[] {bs, q}, false, new Var[] {x}, g -> {
            float[] dx = Workspace.floats(bs * p, false);
            for (int i = 0; i < bs; i++) System.arraycopy(g, i * q, dx, i * p, p);
            x.addGrad(dx);
        });
    }

    /**
     * The projective grid of theta, as {@link SpatialOps#perspectiveGrid}; the gradient flows to theta.
     *
     * @param ops computes the grid and its backward pass
     * @param theta the homographies, [B, 3, 3]
     * @param size the output size {B, C, H, W}
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the grid, [B, H, W, 2]
     */
    public static Var perspectiveGrid(SpatialOps ops, Var theta, long[] size, boolean alignCorners) {
        require(size != null && size.length == 4, "perspectiveGrid: size must be {B, C, H, W}, got "
                + Arrays.toString(size));
        long[] s = size.clone(), gridShape = {s[0], s[2], s[3], 2};
        float[] grid = Workspace.floats(n(s[0] * s[2] * s[3] * 2), false);
        ops.perspectiveGrid(view(theta.data, theta.shape), s, alignCorners, view(grid, gridShape));
        return new Var(grid, gridShape, false, new Var[] {theta}, g -> {
            float[] dt = Workspace.floats(theta.data.length, false);
            ops.perspectiveGridBackward(view(g, gridShape), view(theta.data, theta.shape), s, alignCorners,
                    view(dt, theta.shape));
            theta.addGrad(dt);
        });
    }

    /**
     * The thin-plate-spline grid of the source points, as {@link SpatialOps#tpsGrid}; the gradient flows to the
     * source points.
     *
     * @param ops computes the grid and its backward pass
     * @param sourcePoints where the K control points lie in the input, [B, K, 2], (x, y) normalised to [-1, 1]
     * @param targetPoints where they lie in the output, K (x, y) pairs (copied: later changes to the array do not
     *     reach the backward pass)
     * @param size the output size {B, C, H, W}
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the grid, [B, H, W, 2]
     */
    public static Var tpsGrid(SpatialOps ops, Var sourcePoints, float[] targetPoints, long[] size,
                              boolean alignCorners) {
        require(size != null && size.length == 4, "tpsGrid: size must be {B, C, H, W}, got " + Arrays.toString(size));
        require(targetPoints != null && targetPoints.length % 2 == 0, "tpsGrid: targetPoints must hold K (x, y)"
                + " pairs, got " + (targetPoints == null ? "null" : targetPoints.length + " values"));
        long[] s = size.clone(), gridShape = {s[0], s[2], s[3], 2};
        Tensor targets = view(targetPoints.clone(), new long[] {targetPoints.length / 2, 2});
        float[] grid = Workspace.floats(n(s[0] * s[2] * s[3] * 2), false);
        ops.tpsGrid(view(sourcePoints.data, sourcePoints.shape), targets, s, alignCorners, view(grid, gridShape));
        return new Var(grid, gridShape, false, new Var[] {sourcePoints}, g -> {
            float[] ds = Workspace.floats(sourcePoints.data.length, false);
            ops.tpsGridBackward(view(g, gridShape), targets, s, alignCorners, view(ds, sourcePoints.shape));
            sourcePoints.addGrad(ds);
        });
    }

    /**
     * {@link #gridSample(SpatialOps, Var, Var, Interpolation, Padding, boolean)} on {@link SpatialOps#best()}.
     *
     * @param x the input, [B, C, H, W]
     * @param grid the sampling locations, [B, Ho, Wo, 2], (x, y) normalised to [-1, 1]
     * @param mode the interpolation
     * @param padding what is read outside the input
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the output, [B, C, Ho, Wo]
     */
    public static Var gridSample(Var x, Var grid, Interpolation mode, Padding padding, boolean alignCorners) {
        return gridSample(SpatialOps.best(), x, grid, mode, padding, alignCorners);
    }

    /**
     * Samples x at grid with {@code ops}, as torch.nn.functional.grid_sample (see {@link SpatialOps#gridSample}); the
     * gradient flows to both x and grid.
     *
     * @param ops computes the samples and their backward pass
     * @param x the input, [B, C, H, W]
     * @param grid the sampling locations, [B, Ho, Wo, 2], (x, y) normalised to [-1, 1]
     * @param mode the interpolation
     * @param padding what is read outside the input
     * @param alignCorners PyTorch's {@code align_corners}
     * @return the output, [B, C, Ho, Wo]
     */
    public static Var gridSample(SpatialOps ops, Var x, Var grid, Interpolation mode, Padding padding,
                                 boolean alignCorners) {
        long[] outShape = {x.size(0), x.size(1), grid.size(1), grid.size(2)};
        float[] out = Workspace.floats(n(outShape[0] * outShape[1] * outShape[2] * outShape[3]), false);
        ops.gridSample(view(x.data, x.shape), view(grid.data, grid.shape), mode, padding, alignCorners,
                view(out, outShape));
        return new Var(out, outShape, false, new Var[] {x, grid}, g -> {
            float[] dx = x.needsGrad ? Workspace.floats(x.data.length, false) : null;
            float[] dg = grid.needsGrad ? Workspace.floats(grid.data.length, false) : null;
            if (dx == null && dg == null) return;
            ops.gridSampleBackward(view(g, outShape), view(x.data, x.shape),
                    view(grid.data, grid.shape), mode, padding, alignCorners, dx == null ? null : view(dx, x.shape),
                    dg == null ? null : view(dg, grid.shape));
            if (dx != null) x.addGrad(dx);
            if (dg != null) grid.addGrad(dg);
        });
    }
}

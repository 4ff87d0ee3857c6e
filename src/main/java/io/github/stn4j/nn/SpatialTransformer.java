package io.github.stn4j.nn;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Spatial Transformer layer (Jaderberg et al. 2015): a localisation network of the user's choice maps the input
 * (any number of channels, so the layer can sit anywhere in a network) to features, a final regression layer turns
 * them into the 6 parameters θ of an affine transform, the grid generator maps the output grid through θ, and the
 * sampler reads the input there (fused: {@link SpatialOps#affineSample}, no grid tensor). As in the paper, the regression layer starts as the identity transform (zero weights,
 * bias = identity θ), so training starts from "change nothing". The grid generator and the sampler run on the
 * {@link SpatialOps} the layer is given ({@link SpatialOps#best()} unless one is).
 */
public final class SpatialTransformer implements Layer {
    final Layer localisation;
    final Linear regression;
    final long outH, outW;
    final Interpolation mode;
    final Padding padding;
    final boolean alignCorners;
    private final SpatialOps ops;
    // a copy of the last θ (the tape's own array may be reused by a Workspace), kept and overwritten while the batch
    // size stays the same
    private float[] lastTheta;

    /**
     * A Spatial Transformer on the given spatial operations.
     *
     * @param localisation maps [B, C, H, W] to [B, features] (or anything that flattens to it)
     * @param features the localisation network's output width
     * @param outH output height of the transformed feature map
     * @param outW output width
     * @param mode how the sampler interpolates (grid_sample's {@code mode})
     * @param padding what the sampler reads outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}, for both the grid generator and the sampler
     * @param ops runs the grid generator and the sampler, forward and backward
     */
    public SpatialTransformer(Layer localisation, int features, long outH, long outW, Interpolation mode,
                              Padding padding, boolean alignCorners, SpatialOps ops) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.localisation = localisation;
        this.regression = new Linear(features, 6, new java.util.Random(0));
        java.util.Arrays.fill(regression.weight().data, 0f);
        float[] identity = {1, 0, 0, 0, 1, 0};
        System.arraycopy(identity, 0, regression.bias().data, 0, 6);
        this.outH = outH;
        this.outW = outW;
        this.mode = mode;
        this.padding = padding;
        this.alignCorners = alignCorners;
    }

    /**
     * A Spatial Transformer on {@link SpatialOps#best()}.
     *
     * @param localisation maps [B, C, H, W] to [B, features] (or anything that flattens to it)
     * @param features the localisation network's output width
     * @param outH output height of the transformed feature map
     * @param outW output width
     * @param mode how the sampler interpolates (grid_sample's {@code mode})
     * @param padding what the sampler reads outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}, for both the grid generator and the sampler
     */
    public SpatialTransformer(Layer localisation, int features, long outH, long outW, Interpolation mode,
                              Padding padding, boolean alignCorners) {
        this(localisation, features, outH, outW, mode, padding, alignCorners, SpatialOps.best());
    }

    /**
     * A Spatial Transformer with bilinear interpolation, zeros padding, align_corners = false (the paper's setting),
     * on {@link SpatialOps#best()}.
     *
     * @param localisation maps [B, C, H, W] to [B, features] (or anything that flattens to it)
     * @param features the localisation network's output width
     * @param outH output height of the transformed feature map
     * @param outW output width
     */
    public SpatialTransformer(Layer localisation, int features, long outH, long outW) {
        this(localisation, features, outH, outW, Interpolation.BILINEAR, Padding.ZEROS, false);
    }

    @Override
    public Var forward(Var x) {
        Var theta = F.reshape(regression.forward(F.flatten(localisation.forward(x))), x.size(0), 2, 3);
        synchronized (this) {
            if (lastTheta == null || lastTheta.length != theta.data.length) lastTheta = new float[theta.data.length];
            System.arraycopy(theta.data, 0, lastTheta, 0, lastTheta.length);
        }
        return F.affineSample(ops, x, theta, outH, outW, mode, padding, alignCorners);
    }

    /**
     * θ of the last forward pass (for pictures and diagnostics).
     *
     * @return a copy of θ, [B, 2, 3] row-major, or null before the first forward pass
     */
    public synchronized float[] lastTheta() {
        return lastTheta == null ? null : lastTheta.clone();
    }

    /**
     * The localisation network given to the constructor.
     *
     * @return the localisation network
     */
    public Layer localisation() {
        return localisation;
    }

    /**
     * The spatial operations the layer runs on.
     *
     * @return the grid generator's and sampler's implementation
     */
    public SpatialOps spatialOps() {
        return ops;
    }

    @Override
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>(localisation.parameters());
        out.addAll(regression.parameters());
        return List.copyOf(out);
    }
}

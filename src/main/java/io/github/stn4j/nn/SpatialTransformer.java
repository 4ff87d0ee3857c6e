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
 * them into the parameters of a {@link Transform} (affine: 6; projective: 8; thin-plate spline: the source points of
 * its control points), the grid generator maps the output grid through the transform, and the sampler reads the input
 * there. As in the paper, the regression layer starts as the identity transform (zero weights, bias =
 * {@link Transform#identity()}), so training starts from "change nothing". The grid generator and the sampler run on
 * the {@link SpatialOps} the layer is given ({@link SpatialOps#best()} unless one is).
 */
public final class SpatialTransformer implements Layer {
    /**
     * The transform a {@link SpatialTransformer} regresses: its kind, its number of parameters and the parameters of
     * the identity. Immutable; equal transforms have the same kind and control points.
     */
    public static final class Transform {
        private enum Kind { AFFINE, PROJECTIVE, TPS }

        private static final Transform AFFINE = new Transform(Kind.AFFINE, 0);
        private static final Transform PROJECTIVE = new Transform(Kind.PROJECTIVE, 0);

        private final Kind kind;
        private final int k; // TPS: control points per side
        private final float[] targets; // TPS: the control points in the output, (x, y) pairs

        private Transform(Kind kind, int k) {
            this.kind = kind;
            this.k = k;
            this.targets = kind == Kind.TPS ? grid(k) : null;
        }

        /** k × k points uniformly spaced over [-1, 1]², row-major (y outer, x inner). */
        private static float[] grid(int k) {
            float[] t = new float[2 * k * k];
            for (int iy = 0; iy < k; iy++) {
                for (int ix = 0; ix < k; ix++) {
                    t[2 * (iy * k + ix)] = -1f + 2f * ix / (k - 1);
                    t[2 * (iy * k + ix) + 1] = -1f + 2f * iy / (k - 1);
                }
            }
            return t;
        }

        /**
         * The affine transform (6 parameters: θ [2, 3] row-major), as in the paper's ST-…-Aff models.
         *
         * @return the affine transform
         */
        public static Transform affine() {
            return AFFINE;
        }

        /**
         * The projective transform: 8 free parameters θ11 … θ32 of a homography θ [3, 3] (row-major) whose θ33 is 1,
         * sampled with {@link SpatialOps#perspectiveGrid} (points on or behind the horizon read as far outside).
         *
         * @return the projective transform
         */
        public static Transform projective() {
            return PROJECTIVE;
        }

        /**
         * A thin-plate spline with a k × k grid of control points: their targets (where they lie in the output) are
         * spaced uniformly over [-1, 1]², row-major (y outer, x inner); the 2k² parameters are their sources (where
         * they lie in the input, (x, y) pairs in the same order), sampled with {@link SpatialOps#tpsGrid}. The paper
         * uses 4 × 4.
         *
         * @param k control points per side, 2 to 32
         * @return the thin-plate-spline transform
         * @throws IllegalArgumentException if k is outside [2, 32]
         */
        public static Transform tps(int k) {
            if (k < 2 || k > 32) {
                throw new IllegalArgumentException("tps: k = " + k + " control points per side; give 2 to 32 (a"
                        + " spline needs at least 3 points not on one line, and at most 1024 points)");
            }
            return new Transform(Kind.TPS, k);
        }

        /**
         * The number of parameters the regression layer produces per sample.
         *
         * @return 6 (affine), 8 (projective) or 2k² (thin-plate spline)
         */
        public int parameters() {
            return switch (kind) {
                case AFFINE -> 6;
                case PROJECTIVE -> 8;
                case TPS -> 2 * k * k;
            };
        }

        /**
         * The short name used by the command line and in reports.
         *
         * @return "aff", "proj" or "tps"
         */
        public String name() {
            return switch (kind) {
                case AFFINE -> "aff";
                case PROJECTIVE -> "proj";
                case TPS -> "tps";
            };
        }

        /**
         * The parameters of the identity transform, which the regression layer's bias starts at.
         *
         * @return a new array: 1, 0, 0, 0, 1, 0 (affine); 1, 0, 0, 0, 1, 0, 0, 0 (projective); the targets (TPS)
         */
        public float[] identity() {
            return switch (kind) {
                case AFFINE -> new float[] {1, 0, 0, 0, 1, 0};
                case PROJECTIVE -> new float[] {1, 0, 0, 0, 1, 0, 0, 0};
                case TPS -> targets.clone();
            };
        }

        /**
         * Where the control points of a thin-plate spline lie in the output.
         *
         * @return a new array of k² (x, y) pairs, row-major (y outer, x inner)
         * @throws IllegalStateException if this is not a thin-plate spline
         */
        public float[] targets() {
            if (kind != Kind.TPS) throw new IllegalStateException("the " + name() + " transform has no control points");
            return targets.clone();
        }

        boolean isAffine() {
            return kind == Kind.AFFINE;
        }

        boolean isProjective() {
            return kind == Kind.PROJECTIVE;
        }

        /** The targets themselves (not a copy), for the layer's forward pass. */
        float[] targetsArray() {
            return targets;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Transform t && t.kind == kind && t.k == k;
        }

        @Override
        public int hashCode() {
            return kind.hashCode() * 31 + k;
        }

        /** "aff", "proj" or "tps(k)". */
        @Override
        public String toString() {
            return kind == Kind.TPS ? "tps(" + k + ")" : name();
        }
    }

    final Layer localisation;
    final Transform transform;
    final Linear regression;
    final long outH, outW;
    final Interpolation mode;
    final Padding padding;
    final boolean alignCorners;
    private final SpatialOps ops;
    // a copy of the last regression output (the tape's own array may be reused by a Workspace), kept and overwritten
    // while the batch size stays the same
    private float[] lastTheta;

    /**
     * A Spatial Transformer with the given transform, on the given spatial operations.
     *
     * @param localisation maps [B, C, H, W] to [B, features] (or anything that flattens to it)
     * @param features the localisation network's output width
     * @param outH output height of the transformed feature map
     * @param outW output width
     * @param transform what the regression layer's outputs parameterise ({@link Transform#affine()},
     *     {@link Transform#projective()}, {@link Transform#tps(int)})
     * @param mode how the sampler interpolates (grid_sample's {@code mode})
     * @param padding what the sampler reads outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}, for both the grid generator and the sampler
     * @param ops runs the grid generator and the sampler, forward and backward
     */
    public SpatialTransformer(Layer localisation, int features, long outH, long outW, Transform transform,
                              Interpolation mode, Padding padding, boolean alignCorners, SpatialOps ops) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.transform = Objects.requireNonNull(transform, "transform");
        this.localisation = localisation;
        int p = transform.parameters();
        this.regression = new Linear(features, p, new java.util.Random(0));
        java.util.Arrays.fill(regression.weight().data, 0f);
        System.arraycopy(transform.identity(), 0, regression.bias().data, 0, p);
        this.outH = outH;
        this.outW = outW;
        this.mode = mode;
        this.padding = padding;
        this.alignCorners = alignCorners;
    }

    /**
     * A Spatial Transformer with the given transform, bilinear interpolation, zeros padding, align_corners = false (the
     * paper's setting), on {@link SpatialOps#best()}.
     *
     * @param localisation maps [B, C, H, W] to [B, features] (or anything that flattens to it)
     * @param features the localisation network's output width
     * @param outH output height of the transformed feature map
     * @param outW output width
     * @param transform what the regression layer's outputs parameterise
     */
    public SpatialTransformer(Layer localisation, int features, long outH, long outW, Transform transform) {
        this(localisation, features, outH, outW, transform, Interpolation.BILINEAR, Padding.ZEROS, false,
                SpatialOps.best());
    }

    /**
     * An affine Spatial Transformer on the given spatial operations.
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
        this(localisation, features, outH, outW, Transform.affine(), mode, padding, alignCorners, ops);
    }

    /**
     * An affine Spatial Transformer on {@link SpatialOps#best()}.
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
     * An affine Spatial Transformer with bilinear interpolation, zeros padding, align_corners = false (the paper's
     * setting), on {@link SpatialOps#best()}.
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
        Var params = regression.forward(F.flatten(localisation.forward(x)));
        synchronized (this) {
            if (lastTheta == null || lastTheta.length != params.data.length) lastTheta = new float[params.data.length];
            System.arraycopy(params.data, 0, lastTheta, 0, lastTheta.length);
        }
        long[] size = {x.size(0), x.size(1), outH, outW};
        if (transform.isProjective()) {
            Var theta = F.reshape(F.appendOne(params), x.size(0), 3, 3); // θ33 = 1
            return F.gridSample(ops, x, F.perspectiveGrid(ops, theta, size, alignCorners), mode, padding,
                    alignCorners);
        }
        if (!transform.isAffine()) { // thin-plate spline: the parameters are the source points
            Var sources = F.reshape(params, x.size(0), transform.parameters() / 2, 2);
            return F.gridSample(ops, x, F.tpsGrid(ops, sources, transform.targetsArray(), size, alignCorners), mode,
                    padding, alignCorners);
        }
        Var theta = F.reshape(params, x.size(0), 2, 3);
        Var grid = F.affineGrid(ops, theta, new long[] {x.size(0), x.size(1), outH, outW}, alignCorners);
        return F.gridSample(ops, x, grid, mode, padding, alignCorners);
    }

    /**
     * The regression layer's output of the last forward pass (for pictures and diagnostics): the parameters of the
     * transform per sample. Affine: θ [2, 3] row-major; projective: θ11 … θ32 of θ [3, 3] row-major (θ33 = 1);
     * thin-plate spline: the source points, (x, y) pairs in the order of {@link Transform#targets()}.
     *
     * @return a copy of the parameters, [B, transform().parameters()] row-major, or null before the first forward
     *     pass
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
     * The transform the layer regresses.
     *
     * @return the transform given to the constructor ({@link Transform#affine()} for the constructors without one)
     */
    public Transform transform() {
        return transform;
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

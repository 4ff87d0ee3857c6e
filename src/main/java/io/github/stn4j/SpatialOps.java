package io.github.stn4j;

import static io.github.stn4j.internal.Checks.ANY;

import io.github.stn4j.internal.Checks;
import io.github.stn4j.internal.Kernels;
import io.github.stn4j.internal.NativeKernels;
import io.github.stn4j.internal.NativeLoader;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Locale;

/**
 * The spatial-transformer operations of PyTorch ({@code torch.nn.functional.affine_grid} and {@code grid_sample}),
 * with their gradients, on one {@link Backend}.
 *
 * <p>Layouts are PyTorch's: input {@code [N, C, H, W]}, theta {@code [N, 2, 3]}, grid {@code [N, Ho, Wo, 2]} holding
 * (x, y) normalised to [-1, 1] ((-1, -1) is the top-left of the input), output {@code [N, C, Ho, Wo]}.
 *
 * <p>Every argument is checked before any computation: a bad rank, shape, size, closed or read-only tensor, or an
 * output that overlaps an input throws {@link IllegalArgumentException} naming the argument, the shape seen and the
 * shape expected, and leaves every output untouched. Methods without output arguments return new tensors that own
 * their memory (see {@link Tensor}); the overloads that take outputs allocate nothing on the Java heap for native
 * tensors. Instances are immutable and thread-safe.
 */
public final class SpatialOps {
    /** System property that forces {@link #best()} to one backend (e.g. {@code -Dstn4j.backend=NATIVE_SCALAR}). */
    public static final String BACKEND_PROPERTY = "stn4j.backend";

    private static final System.Logger LOG = System.getLogger("io.github.stn4j");

    private final Backend backend;
    private final Kernels kernels;

    private SpatialOps(Backend backend, Kernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    /**
     * The fastest backend this machine and JVM can run, chosen once: the native ISA the library picks (the best the CPU
     * supports, capped by the environment variable {@code STN4J_MAX_ISA}), unless {@value #BACKEND_PROPERTY} forces one.
     * One INFO line on the {@code io.github.stn4j} logger says what was chosen and why.
     *
     * @throws IllegalStateException if no backend can run here (the message says why and how to fix it), or if the
     *     forced backend is unknown or unavailable
     */
    public static SpatialOps best() {
        Choice c = BestHolder.CHOICE;
        if (c.error != null) throw new IllegalStateException(c.error.getMessage(), c.error);
        return c.ops;
    }

    /**
     * The given backend.
     *
     * @throws IllegalStateException if it cannot run here (the message says why)
     */
    public static SpatialOps of(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("of: backend must not be null");
        if (!backend.isAvailable()) {
            String why = !NativeLoader.isLoaded() ? NativeLoader.failure()
                    : "the CPU does not support it (available: " + Backend.available() + ")";
            throw new IllegalStateException("backend " + backend + " is not available: " + why);
        }
        return new SpatialOps(backend, new NativeKernels(backend.isa()));
    }

    /** The backend these operations run on. */
    public Backend backend() {
        return backend;
    }

    @Override
    public String toString() {
        return "SpatialOps[" + backend + "]";
    }

    // ---------------------------------------------------------------- affine grid

    /**
     * The sampling grid of an affine transform: {@code grid[n, h, w] = theta[n] · (x_w, y_h, 1)} where x_w, y_h run
     * over [-1, 1] ({@code alignCorners}: through the corner pixel centres; otherwise through the image edges, at
     * the pixel centres).
     *
     * @param theta [N, 2, 3]
     * @param size {N, C, H, W} of the output image (C is not used), all positive, as in PyTorch
     * @return grid [N, H, W, 2]
     */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners) {
        long[] s = checkSize("affineGrid", size);
        Tensor grid = Tensor.zeros(s[0], s[2], s[3], 2);
        return withCleanup(grid, () -> affineGrid(theta, s, alignCorners, grid));
    }

    /** {@link #affineGrid(Tensor, long[], boolean)} into {@code grid} [N, H, W, 2]; returns {@code grid}. */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners, Tensor grid) {
        String op = "affineGrid";
        long[] s = checkSize(op, size);
        Checks.shape(theta, op, "theta", new long[] {s[0], 2, 3}, "N = size[0]");
        Checks.shape(grid, op, "grid", new long[] {s[0], s[2], s[3], 2}, "size[0], size[2], size[3], 2");
        Checks.output(grid, op, "grid", theta);
        kernels.affineGrid(theta.segment(), grid.segment(), s[0], s[2], s[3], alignCorners);
        Reference.reachabilityFence(theta);
        Reference.reachabilityFence(grid);
        return grid;
    }

    /**
     * Gradient of {@link #affineGrid} with respect to theta, given the gradient of the grid.
     *
     * @param gradGrid [N, H, W, 2]
     * @param size {N, C, H, W} as given to the forward
     * @return grad theta [N, 2, 3]
     */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners) {
        long[] s = checkSize("affineGridBackward", size);
        Tensor gradTheta = Tensor.zeros(s[0], 2, 3);
        return withCleanup(gradTheta, () -> affineGridBackward(gradGrid, s, alignCorners, gradTheta));
    }

    /** {@link #affineGridBackward(Tensor, long[], boolean)} into {@code gradTheta} [N, 2, 3]; returns it. */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners, Tensor gradTheta) {
        String op = "affineGridBackward";
        long[] s = checkSize(op, size);
        Checks.shape(gradGrid, op, "gradGrid", new long[] {s[0], s[2], s[3], 2}, "size[0], size[2], size[3], 2");
        Checks.shape(gradTheta, op, "gradTheta", new long[] {s[0], 2, 3}, "N = size[0]");
        Checks.output(gradTheta, op, "gradTheta", gradGrid);
        kernels.affineGridBackward(gradGrid.segment(), gradTheta.segment(), s[0], s[2], s[3], alignCorners);
        Reference.reachabilityFence(gradGrid);
        Reference.reachabilityFence(gradTheta);
        return gradTheta;
    }

    // ---------------------------------------------------------------- grid sample

    /**
     * Samples {@code input} at the grid's points, like {@code torch.nn.functional.grid_sample}.
     *
     * @param input [N, C, H, W] with H, W &gt; 0
     * @param grid [N, Ho, Wo, 2]: (x, y) in [-1, 1]; points outside are handled by {@code padding}; NaN reads as -1
     * @return output [N, C, Ho, Wo]
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners) {
        long[] d = checkSample("gridSample", input, grid, mode, padding);
        Tensor output = Tensor.zeros(d[0], d[1], d[4], d[5]);
        return withCleanup(output, () -> gridSample(input, grid, mode, padding, alignCorners, output));
    }

    /** {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean)} into {@code output}; returns it. */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                             Tensor output) {
        String op = "gridSample";
        long[] d = checkSample(op, input, grid, mode, padding);
        Checks.shape(output, op, "output", new long[] {d[0], d[1], d[4], d[5]}, "N, C of input, Ho, Wo of grid");
        Checks.output(output, op, "output", input, grid);
        kernels.gridSample(input.segment(), grid.segment(), output.segment(), d[0], d[1], d[2], d[3], d[4], d[5],
                mode, padding, alignCorners);
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(grid);
        Reference.reachabilityFence(output);
        return output;
    }

    /**
     * Gradients of {@link #gridSample} with respect to its input and its grid, given the gradient of its output.
     *
     * @param gradOutput [N, C, Ho, Wo]
     * @return the two gradients, shaped like input and grid
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners) {
        long[] d = checkSample("gridSampleBackward", input, grid, mode, padding);
        Tensor gradInput = Tensor.zeros(d[0], d[1], d[2], d[3]);
        Tensor gradGrid;
        try {
            gradGrid = Tensor.zeros(d[0], d[4], d[5], 2);
        } catch (RuntimeException | Error e) {
            gradInput.close();
            throw e;
        }
        try {
            return gridSampleBackward(gradOutput, input, grid, mode, padding, alignCorners, gradInput, gradGrid);
        } catch (RuntimeException | Error e) {
            gradInput.close();
            gradGrid.close();
            throw e;
        }
    }

    /**
     * {@link #gridSampleBackward(Tensor, Tensor, Tensor, Interpolation, Padding, boolean)} into the given tensors
     * (overwritten). Either may be {@code null} to skip that gradient, which saves its work.
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners, Tensor gradInput,
                                              Tensor gradGrid) {
        String op = "gridSampleBackward";
        long[] d = checkSample(op, input, grid, mode, padding);
        Checks.shape(gradOutput, op, "gradOutput", new long[] {d[0], d[1], d[4], d[5]},
                "N, C of input, Ho, Wo of grid");
        Checks.require(gradInput != null || gradGrid != null, op, "gradInput and gradGrid are both null");
        if (gradInput != null) {
            Checks.shape(gradInput, op, "gradInput", new long[] {d[0], d[1], d[2], d[3]}, "the shape of input");
            Checks.output(gradInput, op, "gradInput", gradOutput, input, grid, gradGrid);
        }
        if (gradGrid != null) {
            Checks.shape(gradGrid, op, "gradGrid", new long[] {d[0], d[4], d[5], 2}, "the shape of grid");
            Checks.output(gradGrid, op, "gradGrid", gradOutput, input, grid);
        }
        if (gradInput != null) gradInput.segment().fill((byte) 0); // the kernels accumulate into it
        kernels.gridSampleBackward(gradOutput.segment(), input.segment(), grid.segment(),
                gradInput == null ? null : gradInput.segment(), gradGrid == null ? null : gradGrid.segment(),
                d[0], d[1], d[2], d[3], d[4], d[5], mode, padding, alignCorners);
        Reference.reachabilityFence(gradOutput);
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(grid);
        Reference.reachabilityFence(gradInput);
        Reference.reachabilityFence(gradGrid);
        return new GridSampleGrads(gradInput, gradGrid);
    }

    // ---------------------------------------------------------------- helpers

    /** {N, C, H, W, Ho, Wo} after checking input and grid. */
    private static long[] checkSample(String op, Tensor input, Tensor grid, Interpolation mode, Padding padding) {
        Checks.notNull(mode, op, "mode");
        Checks.notNull(padding, op, "padding");
        Checks.shape(input, op, "input", new long[] {ANY, ANY, ANY, ANY}, "N, C, H, W");
        long[] is = input.shape();
        Checks.require(is[2] > 0 && is[3] > 0, op,
                "input must have non-empty spatial dimensions (H, W > 0), got " + Arrays.toString(is));
        Checks.shape(grid, op, "grid", new long[] {is[0], ANY, ANY, 2}, "N of input, Ho, Wo, 2");
        long[] gs = grid.shape();
        Checks.numel(op, "output", is[0], is[1], gs[1], gs[2]);
        return new long[] {is[0], is[1], is[2], is[3], gs[1], gs[2]};
    }

    private static long[] checkSize(String op, long[] size) {
        Checks.notNull(size, op, "size");
        Checks.require(size.length == 4, op, "size must be {N, C, H, W} (4 values), got " + Arrays.toString(size));
        for (long v : size) {
            Checks.require(v > 0, op, "size must be positive, got " + Arrays.toString(size));
        }
        Checks.numel(op, "grid", size[0], size[2], size[3], 2);
        return size.clone();
    }

    private static Tensor withCleanup(Tensor result, Runnable fill) {
        try {
            fill.run();
            return result;
        } catch (RuntimeException | Error e) {
            result.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- backend choice

    private record Choice(SpatialOps ops, RuntimeException error) {}

    private static final class BestHolder {
        static final Choice CHOICE = choose();
    }

    private static Choice choose() {
        try {
            String forced = System.getProperty(BACKEND_PROPERTY);
            if (forced != null && !forced.isBlank()) {
                Backend b;
                try {
                    b = Backend.valueOf(forced.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("-D" + BACKEND_PROPERTY + "=" + forced + " names no backend; use"
                            + " one of " + Arrays.toString(Backend.values()));
                }
                SpatialOps ops = of(b); // throws when unavailable: a forced choice never falls back
                LOG.log(System.Logger.Level.INFO, "stn4j " + Stn4j.version() + ": using " + b + " (forced by -D"
                        + BACKEND_PROPERTY + ")");
                return new Choice(ops, null);
            }
            if (!NativeLoader.isLoaded()) {
                throw new IllegalStateException("stn4j has no backend to run on: " + NativeLoader.failure());
            }
            int isa = NativeKernels.activeIsa();
            Backend b = isa == Backend.NATIVE_AVX2.isa() ? Backend.NATIVE_AVX2 : Backend.NATIVE_SCALAR;
            String cap = System.getenv("STN4J_MAX_ISA");
            LOG.log(System.Logger.Level.INFO, "stn4j " + Stn4j.version() + ": using " + b + " (native library "
                    + NativeLoader.load() + ", best ISA for this CPU" + (cap == null ? "" : " capped by STN4J_MAX_ISA="
                    + cap) + ")");
            return new Choice(of(b), null);
        } catch (IllegalStateException e) {
            return new Choice(null, e);
        }
    }
}

package io.github.stn4j;

import static io.github.stn4j.internal.Checks.ANY;

import io.github.stn4j.internal.Backends;
import io.github.stn4j.internal.Checks;
import io.github.stn4j.internal.Kernels;
import io.github.stn4j.internal.NativeKernels;
import io.github.stn4j.internal.NativeLoader;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The spatial-transformer operations of PyTorch ({@code torch.nn.functional.affine_grid} and {@code grid_sample}),
 * with their gradients, on one {@link Backend}.
 *
 * <p>Layouts are PyTorch's. 2-D: input {@code [N, C, H, W]}, theta {@code [N, 2, 3]}, grid {@code [N, Ho, Wo, 2]}
 * holding (x, y) normalised to [-1, 1] ((-1, -1) is the top-left of the input), output {@code [N, C, Ho, Wo]}. 3-D
 * (chosen by the rank of the arguments): input {@code [N, C, D, H, W]}, theta {@code [N, 3, 4]}, grid
 * {@code [N, Do, Ho, Wo, 3]} holding (x, y, z), output {@code [N, C, Do, Ho, Wo]}.
 *
 * <p>Every argument is checked before any computation: a bad rank, shape, size, closed or read-only tensor, or an
 * output that overlaps an input throws {@link IllegalArgumentException} naming the argument, the shape seen and the
 * shape expected, and leaves every output untouched. Methods without output arguments return new tensors that own
 * their memory (see {@link Tensor}); the overloads that take outputs allocate nothing on the Java heap for native
 * tensors. Instances are immutable and thread-safe.
 */
public final class SpatialOps {
    /** System property that forces {@link #best()} to one backend (e.g. {@code -Dstn4j.backend=JAVA_SCALAR}). */
    public static final String BACKEND_PROPERTY = "stn4j.backend";

    /**
     * System property listing backends that must be available (comma-separated, or {@code ALL}): {@link #best()} then
     * fails if one is missing, so that a test suite or a deployment cannot silently run on a slower path.
     */
    public static final String REQUIRE_PROPERTY = "stn4j.require";

    private static final System.Logger LOG = System.getLogger("io.github.stn4j");

    private final Backend backend;
    private final Kernels kernels;

    private SpatialOps(Backend backend, Kernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    /**
     * The fastest backend this machine and JVM can run, chosen once: the native library's best SIMD ISA for this CPU
     * (capped by the environment variable {@code STN4J_MAX_ISA}), else the Vector API, else the portable C path, else
     * plain Java. {@value #BACKEND_PROPERTY} forces a backend; {@value #REQUIRE_PROPERTY} makes missing backends an
     * error. One INFO line on the {@code io.github.stn4j} logger says what was chosen and why, and one WARN line per
     * fallback names the fix.
     *
     * @throws IllegalStateException if a forced or required backend is unknown or unavailable
     */
    public static SpatialOps best() {
        Choice c = BestHolder.CHOICE;
        if (c.error != null) throw new IllegalStateException(c.error.getMessage(), c.error);
        return c.ops;
    }

    /**
     * The given backend.
     *
     * @throws IllegalStateException if it cannot run here (the message says why and how to fix it)
     */
    public static SpatialOps of(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("of: backend must not be null");
        return new SpatialOps(backend, Backends.kernels(backend));
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
     * The sampling grid of an affine transform: {@code grid[n, h, w] = theta[n] · (x_w, y_h, 1)} (2-D) or
     * {@code grid[n, d, h, w] = theta[n] · (x_w, y_h, z_d, 1)} (3-D), where the base coordinates run over [-1, 1]
     * ({@code alignCorners}: through the corner pixel centres; otherwise through the image edges, at pixel centres).
     *
     * @param theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D)
     * @param size {N, C, H, W} or {N, C, D, H, W} of the output image (C is not used), all positive, as in PyTorch
     * @return grid [N, H, W, 2] or [N, D, H, W, 3]
     */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners) {
        long[] s = checkSize("affineGrid", size);
        Tensor grid = Tensor.zeros(gridShape(s));
        return withCleanup(grid, () -> affineGrid(theta, s, alignCorners, grid));
    }

    /** {@link #affineGrid(Tensor, long[], boolean)} into {@code grid}; returns {@code grid}. */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners, Tensor grid) {
        String op = "affineGrid";
        long[] s = checkSize(op, size);
        boolean is3d = s.length == 5;
        Checks.shape(theta, op, "theta", is3d ? new long[] {s[0], 3, 4} : new long[] {s[0], 2, 3}, "N = size[0]");
        Checks.shape(grid, op, "grid", gridShape(s), is3d ? "N, D, H, W of size, 3" : "N, H, W of size, 2");
        Checks.output(grid, op, "grid", theta);
        long rows = is3d ? s[2] * s[3] : s[2], rowLen = (is3d ? s[4] * 3 : s[3] * 2);
        int params = is3d ? 12 : 6;
        Split.forward(s[0], rows, rowLen, (n0, n1, r0, r1) -> {
            MemorySegment t = slice(theta.segment(), n0, n1, params), g = slice(grid.segment(), n0, n1, rows * rowLen);
            if (is3d) kernels.affineGrid3d(t, g, n1 - n0, s[2], s[3], s[4], alignCorners, r0, r1);
            else kernels.affineGrid(t, g, n1 - n0, s[2], s[3], alignCorners, r0, r1);
        });
        Reference.reachabilityFence(theta);
        Reference.reachabilityFence(grid);
        return grid;
    }

    /**
     * Gradient of {@link #affineGrid} with respect to theta, given the gradient of the grid.
     *
     * @param gradGrid shaped like the grid
     * @param size as given to the forward
     * @return grad theta [N, 2, 3] or [N, 3, 4]
     */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners) {
        long[] s = checkSize("affineGridBackward", size);
        Tensor gradTheta = s.length == 5 ? Tensor.zeros(s[0], 3, 4) : Tensor.zeros(s[0], 2, 3);
        return withCleanup(gradTheta, () -> affineGridBackward(gradGrid, s, alignCorners, gradTheta));
    }

    /** {@link #affineGridBackward(Tensor, long[], boolean)} into {@code gradTheta}; returns it. */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners, Tensor gradTheta) {
        String op = "affineGridBackward";
        long[] s = checkSize(op, size);
        boolean is3d = s.length == 5;
        Checks.shape(gradGrid, op, "gradGrid", gridShape(s), is3d ? "N, D, H, W of size, 3" : "N, H, W of size, 2");
        Checks.shape(gradTheta, op, "gradTheta", is3d ? new long[] {s[0], 3, 4} : new long[] {s[0], 2, 3},
                "N = size[0]");
        Checks.output(gradTheta, op, "gradTheta", gradGrid);
        long perSample = (is3d ? s[2] * s[3] * s[4] * 3 : s[2] * s[3] * 2);
        int params = is3d ? 12 : 6;
        // each sample's sum is taken by one task: the same bits for any number of threads
        Split.samples(s[0], perSample, (n0, n1) -> {
            MemorySegment gg = slice(gradGrid.segment(), n0, n1, perSample), gt = slice(gradTheta.segment(), n0, n1,
                    params);
            if (is3d) kernels.affineGrid3dBackward(gg, gt, n1 - n0, s[2], s[3], s[4], alignCorners);
            else kernels.affineGridBackward(gg, gt, n1 - n0, s[2], s[3], alignCorners);
        });
        Reference.reachabilityFence(gradGrid);
        Reference.reachabilityFence(gradTheta);
        return gradTheta;
    }

    // ---------------------------------------------------------------- grid sample

    /**
     * Samples {@code input} at the grid's points, like {@code torch.nn.functional.grid_sample}. Points outside the
     * input are handled by {@code padding}. Non-finite grid values: NaN reads as -1; points farther than 2^22 pixels
     * (±Inf included) are clamped there first, with a zero gradient.
     *
     * @param input [N, C, H, W] or [N, C, D, H, W] with non-empty spatial dimensions
     * @param grid [N, Ho, Wo, 2] or [N, Do, Ho, Wo, 3]
     * @return output [N, C, Ho, Wo] or [N, C, Do, Ho, Wo]
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners) {
        long[] d = checkSample("gridSample", input, grid, mode, padding);
        Tensor output = Tensor.zeros(outputShape(d));
        return withCleanup(output, () -> gridSample(input, grid, mode, padding, alignCorners, output));
    }

    /** {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean)} into {@code output}; returns it. */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                             Tensor output) {
        String op = "gridSample";
        long[] d = checkSample(op, input, grid, mode, padding);
        Checks.shape(output, op, "output", outputShape(d), "N, C of input, spatial size of grid");
        Checks.output(output, op, "output", input, grid);
        boolean is3d = d.length == 8;
        long inSample = numel(input) / Math.max(1, d[0]), gridSample = numel(grid) / Math.max(1, d[0]);
        long outW = d[d.length - 1], rows = is3d ? d[5] * d[6] : d[4], outSample = d[1] * rows * outW;
        Split.forward(d[0], rows, d[1] * outW, (n0, n1, r0, r1) -> {
            MemorySegment in = slice(input.segment(), n0, n1, inSample), g = slice(grid.segment(), n0, n1, gridSample);
            MemorySegment out = slice(output.segment(), n0, n1, outSample);
            if (is3d) {
                kernels.gridSample3d(in, g, out, n1 - n0, d[1], d[2], d[3], d[4], d[5], d[6], d[7], mode, padding,
                        alignCorners, r0, r1);
            } else {
                kernels.gridSample(in, g, out, n1 - n0, d[1], d[2], d[3], d[4], d[5], mode, padding, alignCorners, r0,
                        r1);
            }
        });
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(grid);
        Reference.reachabilityFence(output);
        return output;
    }

    /**
     * Gradients of {@link #gridSample} with respect to its input and its grid, given the gradient of its output.
     * {@code NEAREST} gives a zero grid gradient, as in PyTorch.
     *
     * @param gradOutput shaped like the output
     * @return the two gradients, shaped like input and grid
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners) {
        checkSample("gridSampleBackward", input, grid, mode, padding);
        Tensor gradInput = Tensor.zeros(input.shape());
        Tensor gradGrid;
        try {
            gradGrid = Tensor.zeros(grid.shape());
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
        Checks.shape(gradOutput, op, "gradOutput", outputShape(d), "N, C of input, spatial size of grid");
        Checks.require(gradInput != null || gradGrid != null, op, "gradInput and gradGrid are both null");
        if (gradInput != null) {
            Checks.shape(gradInput, op, "gradInput", input.shape(), "the shape of input");
            Checks.output(gradInput, op, "gradInput", gradOutput, input, grid, gradGrid);
        }
        if (gradGrid != null) {
            Checks.shape(gradGrid, op, "gradGrid", grid.shape(), "the shape of grid");
            Checks.output(gradGrid, op, "gradGrid", gradOutput, input, grid);
        }
        if (gradInput != null) gradInput.segment().fill((byte) 0); // the kernels accumulate into it
        boolean is3d = d.length == 8;
        long inSample = numel(input) / Math.max(1, d[0]), gridSample = numel(grid) / Math.max(1, d[0]);
        long outW = d[d.length - 1], rows = is3d ? d[5] * d[6] : d[4], outSample = d[1] * rows * outW;
        Split.Backward piece = (gin, n0, n1, r0, r1) -> {
            MemorySegment go = slice(gradOutput.segment(), n0, n1, outSample);
            MemorySegment in = slice(input.segment(), n0, n1, inSample), g = slice(grid.segment(), n0, n1, gridSample);
            MemorySegment gg = gradGrid == null ? null : slice(gradGrid.segment(), n0, n1, gridSample);
            if (is3d) {
                kernels.gridSample3dBackward(go, in, g, gin, gg, n1 - n0, d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                        mode, padding, alignCorners, r0, r1);
            } else {
                kernels.gridSampleBackward(go, in, g, gin, gg, n1 - n0, d[1], d[2], d[3], d[4], d[5], mode, padding,
                        alignCorners, r0, r1);
            }
        };
        Split.backward(d[0], rows, d[1] * outW, gradInput == null ? null : gradInput.segment(), inSample, piece);
        Reference.reachabilityFence(gradOutput);
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(grid);
        Reference.reachabilityFence(gradInput);
        Reference.reachabilityFence(gradGrid);
        return new GridSampleGrads(gradInput, gradGrid);
    }

    // ---------------------------------------------------------------- helpers

    /** Samples [n0, n1) of a tensor whose samples hold {@code perSample} floats. */
    static MemorySegment slice(MemorySegment s, long n0, long n1, long perSample) {
        return s.asSlice(n0 * perSample * 4, (n1 - n0) * perSample * 4);
    }

    private static long numel(Tensor t) {
        return t.numel();
    }

    /** {N, C, H, W, Ho, Wo} (2-D) or {N, C, D, H, W, Do, Ho, Wo} (3-D) after checking input and grid. */
    private static long[] checkSample(String op, Tensor input, Tensor grid, Interpolation mode, Padding padding) {
        Checks.notNull(mode, op, "mode");
        Checks.notNull(padding, op, "padding");
        Checks.notNull(input, op, "input");
        Checks.require(input.rank() == 4 || input.rank() == 5, op, "input must have shape [N, C, H, W] or"
                + " [N, C, D, H, W], got " + Arrays.toString(input.shape()));
        boolean is3d = input.rank() == 5;
        Checks.shape(input, op, "input", is3d ? new long[] {ANY, ANY, ANY, ANY, ANY} : new long[] {ANY, ANY, ANY, ANY},
                is3d ? "N, C, D, H, W" : "N, C, H, W");
        long[] is = input.shape();
        for (int k = 2; k < is.length; k++) {
            Checks.require(is[k] > 0, op, "input must have non-empty spatial dimensions, got " + Arrays.toString(is));
        }
        Checks.require(!(is3d && mode == Interpolation.BICUBIC), op, "BICUBIC supports only 4-D input (as in PyTorch),"
                + " got " + Arrays.toString(is));
        if (is3d) {
            Checks.shape(grid, op, "grid", new long[] {is[0], ANY, ANY, ANY, 3}, "N of input, Do, Ho, Wo, 3");
        } else {
            Checks.shape(grid, op, "grid", new long[] {is[0], ANY, ANY, 2}, "N of input, Ho, Wo, 2");
        }
        long[] gs = grid.shape();
        long[] d = new long[is.length + gs.length - 2];
        System.arraycopy(is, 0, d, 0, is.length);
        System.arraycopy(gs, 1, d, is.length, gs.length - 2);
        Checks.numel(op, "output", outputShape(d));
        return d;
    }

    private static long[] outputShape(long[] d) {
        return d.length == 6 ? new long[] {d[0], d[1], d[4], d[5]} : new long[] {d[0], d[1], d[5], d[6], d[7]};
    }

    private static long[] gridShape(long[] size) {
        return size.length == 5 ? new long[] {size[0], size[2], size[3], size[4], 3}
                : new long[] {size[0], size[2], size[3], 2};
    }

    private static long[] checkSize(String op, long[] size) {
        Checks.notNull(size, op, "size");
        Checks.require(size.length == 4 || size.length == 5, op,
                "size must be {N, C, H, W} or {N, C, D, H, W}, got " + Arrays.toString(size));
        for (long v : size) {
            Checks.require(v > 0, op, "size must be positive, got " + Arrays.toString(size));
        }
        Checks.numel(op, "grid", gridShape(size));
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
            String required = System.getProperty(REQUIRE_PROPERTY, "");
            List<String> missing = new ArrayList<>();
            for (String name : required.split(",")) {
                if (name.isBlank()) continue;
                List<Backend> wanted = name.strip().equalsIgnoreCase("ALL") ? Arrays.asList(Backend.values())
                        : List.of(Backends.parse(name, REQUIRE_PROPERTY));
                for (Backend b : wanted) {
                    String why = Backends.unavailableReason(b);
                    if (why != null) missing.add(b + " (" + why + ")");
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("-D" + REQUIRE_PROPERTY + "=" + required + " but unavailable: "
                        + String.join("; ", missing));
            }
            String forced = System.getProperty(BACKEND_PROPERTY);
            if (forced != null && !forced.isBlank()) {
                Backend b = Backends.parse(forced, BACKEND_PROPERTY);
                SpatialOps ops = of(b); // throws when unavailable: a forced choice never falls back
                log(System.Logger.Level.INFO, "using " + b + " (forced by -D" + BACKEND_PROPERTY + ")");
                return new Choice(ops, null);
            }
            String cap = System.getenv("STN4J_MAX_ISA");
            if (NativeLoader.isLoaded()) {
                Backend nat = Backends.ofIsa(NativeKernels.activeIsa());
                // the portable C path is preferred to the Vector API only when the user capped the ISA to it
                if (nat != Backend.NATIVE_SCALAR || cap != null || !Backend.VECTOR_API.isAvailable()) {
                    log(System.Logger.Level.INFO, "using " + nat + " (native library " + NativeLoader.load()
                            + (cap == null ? ", best ISA of this CPU)" : ", ISA capped by STN4J_MAX_ISA=" + cap + ")"));
                    return new Choice(of(nat), null);
                }
            } else {
                log(System.Logger.Level.WARNING, "native kernels unavailable, falling back to a Java backend: "
                        + NativeLoader.failure());
            }
            if (Backend.VECTOR_API.isAvailable()) {
                log(System.Logger.Level.INFO, "using VECTOR_API (" + (NativeLoader.isLoaded()
                        ? "the native library has no SIMD ISA for this CPU)" : "no native kernels)"));
                return new Choice(of(Backend.VECTOR_API), null);
            }
            log(System.Logger.Level.WARNING, "Vector API unavailable, falling back to JAVA_SCALAR (slowest): "
                    + Backends.unavailableReason(Backend.VECTOR_API));
            log(System.Logger.Level.INFO, "using JAVA_SCALAR");
            return new Choice(of(Backend.JAVA_SCALAR), null);
        } catch (IllegalStateException e) {
            return new Choice(null, e);
        }
    }

    private static void log(System.Logger.Level level, String message) {
        LOG.log(level, "stn4j " + Stn4j.version() + ": " + message);
    }
}

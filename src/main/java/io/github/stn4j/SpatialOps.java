package io.github.stn4j;

import static io.github.stn4j.Checks.ANY;

import io.github.stn4j.internal.AffineRows;
import io.github.stn4j.internal.Kernels;
import io.github.stn4j.internal.Memory;
import io.github.stn4j.internal.Perspective;
import io.github.stn4j.internal.Provider;
import io.github.stn4j.internal.Staging;
import io.github.stn4j.internal.ThreadScratch;
import io.github.stn4j.internal.ThinPlateSpline;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The spatial-transformer operations of PyTorch ({@code torch.nn.functional.affine_grid} and {@code grid_sample}),
 * with their gradients, on one {@link Backend}.
 *
 * <p>Layouts are PyTorch's. 2-D: input {@code [N, C, H, W]}, theta {@code [N, 2, 3]}, grid {@code [N, Ho, Wo, 2]}
 * holding (x, y) normalised to [-1, 1] ((-1, -1) is the top-left of the input), output {@code [N, C, Ho, Wo]}. 3-D
 * (chosen by the rank of the arguments): input {@code [N, C, D, H, W]}, theta {@code [N, 3, 4]}, grid
 * {@code [N, Do, Ho, Wo, 3]} holding (x, y, z), output {@code [N, C, Do, Ho, Wo]}. 2-D sampling also takes
 * channels-last tensors ({@link Layout#NHWC}: input {@code [N, H, W, C]}, output {@code [N, Ho, Wo, C]}). Two more
 * grid generators, 2-D, make the same grids from other transforms: {@link #perspectiveGrid} (a homography, θ
 * {@code [N, 3, 3]}) and {@link #tpsGrid} (a thin-plate spline through K control points).
 *
 * <p>Every argument is checked before any computation: a bad rank, shape, size, closed or read-only tensor, or an
 * output that overlaps an input throws {@link IllegalArgumentException} naming the argument, the shape seen and the
 * shape expected, and leaves every output untouched. Methods without output arguments return new tensors that own
 * their memory (see {@link Tensor}); the overloads that take outputs allocate nothing on the Java heap for native
 * tensors. Instances are immutable and thread-safe.
 */
public final class SpatialOps {
    /** System property that forces {@link #best()} to one backend (e.g. {@code -Dstn4j.backend=JAVA_SCALAR}). */
    public static final String BACKEND_PROPERTY = Provider.BACKEND_PROPERTY;

    /**
     * System property listing backends that must be available (comma-separated, or {@code ALL}): {@link #best()} then
     * fails if one is missing, so that a test suite or a deployment cannot silently run on a slower path.
     */
    public static final String REQUIRE_PROPERTY = Provider.REQUIRE_PROPERTY;

    private static volatile SpatialOps best;

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
     * @return the operations on the chosen backend
     * @throws IllegalStateException if a forced or required backend is unknown or unavailable
     */
    public static SpatialOps best() {
        SpatialOps s = best;
        if (s == null) best = s = of(Backend.of(Provider.spatial())); // the same choice every time: a benign race
        return s;
    }

    /**
     * The given backend.
     *
     * @param backend the backend to run on
     * @return the operations on that backend
     * @throws IllegalStateException if it cannot run here (the message says why and how to fix it)
     */
    public static SpatialOps of(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("of: backend must not be null");
        return new SpatialOps(backend, Provider.kernels(backend.implementation()));
    }

    /**
     * The backend these operations run on.
     *
     * @return the backend
     */
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
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grid [N, H, W, 2] or [N, D, H, W, 3]
     */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners) {
        String op = "affineGrid";
        long[] s = checkSize(op, size).clone(); // a copy: the caller's array may change while we run
        Checks.numel(op, "grid", gridShape(s));
        Tensor grid = Tensor.uninitialized(gridShape(s)); // the kernels write every point
        return withCleanup(grid, () -> affineGrid(theta, s, alignCorners, grid));
    }

    /**
     * {@link #affineGrid(Tensor, long[], boolean)} with PyTorch's default {@code alignCorners = false}.
     *
     * @param theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D)
     * @param size {N, C, H, W} or {N, C, D, H, W} of the output image
     * @return grid [N, H, W, 2] or [N, D, H, W, 3]
     */
    public Tensor affineGrid(Tensor theta, long[] size) {
        return affineGrid(theta, size, false);
    }

    /**
     * {@link #affineGrid(Tensor, long[], boolean)} into {@code grid}.
     *
     * @param theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D)
     * @param size {N, C, H, W} or {N, C, D, H, W} of the output image
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param grid the output, [N, H, W, 2] or [N, D, H, W, 3] (overwritten)
     * @return {@code grid}
     */
    public Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners, Tensor grid) {
        String op = "affineGrid";
        checkGridAgainstSize(op, "grid", grid, checkSize(op, size));
        // from here on only the tensors' own (immutable) shapes are used
        boolean is3d = grid.rank() == 5;
        long n = grid.size(0);
        Checks.shape(theta, op, "theta", "N = size[0]", 3, n, is3d ? 3 : 2, is3d ? 4 : 3, 0, 0);
        Checks.output(grid, op, "grid", theta, null, null, null);
        acquire(op, theta, grid, null, null, null);
        try {
            affineGridInto(theta, size, alignCorners, grid);
        } finally {
            release(theta, grid, null, null, null);
        }
        return grid;
    }

    private void affineGridInto(Tensor theta, long[] size, boolean alignCorners, Tensor grid) {
        boolean is3d = grid.rank() == 5;
        long n = grid.size(0);
        long rows = is3d ? grid.size(1) * grid.size(2) : grid.size(1), rowLen = grid.size(is3d ? 3 : 2) * (is3d ? 3 : 2);
        if (stagesHeap(theta, grid, null, null, null) && !Split.wholeSamples(n, rows, rowLen)) {
            try (Staging st = Staging.of(theta.segment(), grid.segment(), null, null, null)) {
                Tensor g = stagedOut(st, grid);
                affineGridInto(stagedIn(st, theta), size, alignCorners, g);
                back(st, g, grid);
            }
            return;
        }
        // the serial path calls the kernel directly: no lambda, nothing allocated on the Java heap
        if (Split.serial(n, rows, rowLen) || !Split.shareable(theta, grid, null, null, null, null)) {
            if (n > 0 && rows > 0) affinePiece(theta, grid, alignCorners, 0, n, 0, rows);
        } else {
            Split.forward(n, rows, rowLen, (n0, n1, r0, r1) -> affinePiece(theta, grid, alignCorners, n0, n1, r0, r1));
        }
    }

    private void affinePiece(Tensor theta, Tensor grid, boolean ac, long n0, long n1, long r0, long r1) {
        boolean is3d = grid.rank() == 5;
        long d = is3d ? grid.size(1) : 1, h = grid.size(is3d ? 2 : 1), w = grid.size(is3d ? 3 : 2), k = is3d ? 3 : 2;
        MemorySegment t = slice(theta.segment(), n0, n1, is3d ? 12 : 6);
        MemorySegment g = slice(grid.segment(), n0, n1, d * h * w * k);
        try (Staging st = staging(t, g, null, null, null)) {
            MemorySegment sg = st.out(g);
            if (is3d) kernels.affineGrid3d(st.in(t), sg, n1 - n0, d, h, w, ac, r0, r1);
            else kernels.affineGrid(st.in(t), sg, n1 - n0, h, w, ac, r0, r1);
            st.backRows(sg, g, n1 - n0, 1, d * h * w * k, w * k, r0, r1);
        }
    }

    /**
     * Gradient of {@link #affineGrid} with respect to theta, given the gradient of the grid.
     *
     * @param gradGrid shaped like the grid
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grad theta [N, 2, 3] or [N, 3, 4]
     */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners) {
        long[] s = checkSize("affineGridBackward", size).clone();
        Tensor gradTheta = s.length == 5 ? Tensor.uninitialized(s[0], 3, 4) : Tensor.uninitialized(s[0], 2, 3);
        return withCleanup(gradTheta, () -> affineGridBackward(gradGrid, s, alignCorners, gradTheta));
    }

    /**
     * {@link #affineGridBackward(Tensor, long[], boolean)} with PyTorch's default {@code alignCorners = false}.
     *
     * @param gradGrid shaped like the grid
     * @param size as given to the forward
     * @return grad theta [N, 2, 3] or [N, 3, 4]
     */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size) {
        return affineGridBackward(gradGrid, size, false);
    }

    /**
     * {@link #affineGridBackward(Tensor, long[], boolean)} into {@code gradTheta}.
     *
     * @param gradGrid shaped like the grid
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param gradTheta the output, [N, 2, 3] or [N, 3, 4] (overwritten)
     * @return {@code gradTheta}
     */
    public Tensor affineGridBackward(Tensor gradGrid, long[] size, boolean alignCorners, Tensor gradTheta) {
        String op = "affineGridBackward";
        checkGridAgainstSize(op, "gradGrid", gradGrid, checkSize(op, size));
        boolean is3d = gradGrid.rank() == 5;
        long n = gradGrid.size(0);
        Checks.shape(gradTheta, op, "gradTheta", "N = size[0]", 3, n, is3d ? 3 : 2, is3d ? 4 : 3, 0, 0);
        Checks.output(gradTheta, op, "gradTheta", gradGrid, null, null, null);
        acquire(op, gradGrid, gradTheta, null, null, null);
        try {
            affineGridBackwardInto(gradGrid, size, alignCorners, gradTheta);
        } finally {
            release(gradGrid, gradTheta, null, null, null);
        }
        return gradTheta;
    }

    private void affineGridBackwardInto(Tensor gradGrid, long[] size, boolean alignCorners, Tensor gradTheta) {
        long n = gradGrid.size(0), perSample = gradGrid.numel() / Math.max(1, n);
        // each sample's sum is taken by one task: the same bits for any number of threads (and pieces of whole
        // samples: heap tensors are staged piece by piece)
        if (Split.serialSamples(n, perSample) || !Split.shareable(gradGrid, gradTheta, null, null, null, null)) {
            if (n > 0) affineBackwardPiece(gradGrid, gradTheta, alignCorners, 0, n);
        } else {
            Split.samples(n, perSample, (n0, n1) -> affineBackwardPiece(gradGrid, gradTheta, alignCorners, n0, n1));
        }
    }

    private void affineBackwardPiece(Tensor gradGrid, Tensor gradTheta, boolean ac, long n0, long n1) {
        boolean is3d = gradGrid.rank() == 5;
        long d = is3d ? gradGrid.size(1) : 1, h = gradGrid.size(is3d ? 2 : 1), w = gradGrid.size(is3d ? 3 : 2);
        MemorySegment gg = slice(gradGrid.segment(), n0, n1, d * h * w * (is3d ? 3 : 2));
        MemorySegment gt = slice(gradTheta.segment(), n0, n1, is3d ? 12 : 6);
        try (Staging st = staging(gg, gt, null, null, null)) {
            MemorySegment sgt = st.out(gt);
            if (is3d) kernels.affineGrid3dBackward(st.in(gg), sgt, n1 - n0, d, h, w, ac);
            else kernels.affineGridBackward(st.in(gg), sgt, n1 - n0, h, w, ac);
            st.back(sgt, gt);
        }
    }

    // ---------------------------------------------------------------- projective grid

    /**
     * The sampling grid of a projective transform (a homography), 2-D: for each point (x_w, y_h) of
     * {@link #affineGrid}'s base grid, (u, v, w) = theta[n] · (x_w, y_h, 1) and {@code grid[n, h, w] = (u / w, v / w)},
     * in float as {@code u = x·θ0 + (y·θ1 + θ2)}, {@code v = x·θ3 + (y·θ4 + θ5)}, {@code w = x·θ6 + (y·θ7 + θ8)}
     * (affineGrid's order, no fused multiply-add). One implementation serves every backend: the same bits everywhere.
     *
     * <p>The horizon rule: where w is not greater than 2^-20 · (|θ6| + |θ7| + |θ8|) (w ≤ 0: the point is behind the
     * camera; w within a few roundings of 0: on the horizon; w NaN), the grid point is (+Inf, +Inf), the point at
     * infinity. {@link #gridSample} treats it as any far point (zeros padding reads 0, border and reflection clamp,
     * its grid gradient is 0), and {@link #perspectiveGridBackward} takes nothing from it. The bound scales with θ's
     * third row (|x|, |y| ≤ 1), so θ and c·θ (c &gt; 0) give the same grid. Other non-finite values (a NaN or infinite
     * u or v) pass through to the sampler's rule for them. Samples never affect each other.
     *
     * @param theta [N, 3, 3], row-major (θ0 ... θ8)
     * @param size {N, C, H, W} of the output image (C is not used), all positive
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grid [N, H, W, 2]
     */
    public Tensor perspectiveGrid(Tensor theta, long[] size, boolean alignCorners) {
        String op = "perspectiveGrid";
        long[] s = checkSize2d(op, size).clone(); // a copy: the caller's array may change while we run
        Checks.numel(op, "grid", gridShape(s));
        Tensor grid = Tensor.uninitialized(gridShape(s)); // every point is written
        return withCleanup(grid, () -> perspectiveGrid(theta, s, alignCorners, grid));
    }

    /**
     * {@link #perspectiveGrid(Tensor, long[], boolean)} into {@code grid}.
     *
     * @param theta [N, 3, 3], row-major (θ0 ... θ8)
     * @param size {N, C, H, W} of the output image
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param grid the output, [N, H, W, 2] (overwritten)
     * @return {@code grid}
     */
    public Tensor perspectiveGrid(Tensor theta, long[] size, boolean alignCorners, Tensor grid) {
        String op = "perspectiveGrid";
        checkGridAgainstSize(op, "grid", grid, checkSize2d(op, size));
        long n = grid.size(0), h = grid.size(1), w = grid.size(2);
        Checks.shape(theta, op, "theta", "N = size[0], 3, 3", 3, n, 3, 3, 0, 0);
        Checks.output(grid, op, "grid", theta, null, null, null);
        acquire(op, theta, grid, null, null, null);
        try {
            bySamples(n, h * w * 2, theta, grid, null, (n0, n1) ->
                    Perspective.grid(theta.segment(), grid.segment(), n0, n1, h, w, alignCorners));
        } finally {
            release(theta, grid, null, null, null);
        }
        return grid;
    }

    /**
     * Gradient of {@link #perspectiveGrid} with respect to theta, given the gradient of the grid. Per point, with
     * (gx, gy) = (u / w, v / w) and the grid gradient (ax, ay): du = ax / w, dv = ay / w, dw = -(ax·gx + ay·gy) / w,
     * and the rows of dθ gain du, dv, dw times (x, y, 1). It is computed in double (each sample's points summed in a
     * fixed order, then rounded once), so that finite θ gives no NaN. Points sent to infinity by the horizon rule, and
     * points whose grid gradient is (0, 0), contribute nothing.
     *
     * @param gradGrid [N, H, W, 2], shaped like the grid
     * @param theta the forward's theta, [N, 3, 3]
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grad theta [N, 3, 3]
     */
    public Tensor perspectiveGridBackward(Tensor gradGrid, Tensor theta, long[] size, boolean alignCorners) {
        long[] s = checkSize2d("perspectiveGridBackward", size).clone();
        Tensor gradTheta = Tensor.uninitialized(s[0], 3, 3); // every value is written
        return withCleanup(gradTheta, () -> perspectiveGridBackward(gradGrid, theta, s, alignCorners, gradTheta));
    }

    /**
     * {@link #perspectiveGridBackward(Tensor, Tensor, long[], boolean)} into {@code gradTheta}.
     *
     * @param gradGrid [N, H, W, 2], shaped like the grid
     * @param theta the forward's theta, [N, 3, 3]
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param gradTheta the output, [N, 3, 3] (overwritten)
     * @return {@code gradTheta}
     */
    public Tensor perspectiveGridBackward(Tensor gradGrid, Tensor theta, long[] size, boolean alignCorners,
                                          Tensor gradTheta) {
        String op = "perspectiveGridBackward";
        checkGridAgainstSize(op, "gradGrid", gradGrid, checkSize2d(op, size));
        long n = gradGrid.size(0), h = gradGrid.size(1), w = gradGrid.size(2);
        Checks.shape(theta, op, "theta", "N = size[0], 3, 3", 3, n, 3, 3, 0, 0);
        Checks.shape(gradTheta, op, "gradTheta", "N = size[0], 3, 3", 3, n, 3, 3, 0, 0);
        Checks.output(gradTheta, op, "gradTheta", gradGrid, theta, null, null);
        acquire(op, gradGrid, theta, gradTheta, null, null);
        try {
            bySamples(n, h * w * 2, gradGrid, theta, gradTheta, (n0, n1) -> Perspective.gridBackward(
                    gradGrid.segment(), theta.segment(), gradTheta.segment(), n0, n1, h, w, alignCorners));
        } finally {
            release(gradGrid, theta, gradTheta, null, null);
        }
        return gradTheta;
    }

    // ---------------------------------------------------------------- thin-plate-spline grid

    /**
     * The sampling grid of a thin-plate spline, 2-D: K control points lie at {@code targetPoints} in the output
     * (in {@link #affineGrid}'s base coordinates) and at {@code sourcePoints[n]} in the input (normalised (x, y));
     * each grid coordinate is Bookstein's interpolating spline f(p) = a0 + a1·x + a2·y + Σ_k w_k·U(|p - t_k|),
     * U(r) = r²·log r² (U(0) = 0), with f(t_k) = s_k, Σ w_k = 0 and Σ w_k·t_k = 0, evaluated at every point p of the
     * base grid. Sources equal to the targets give the identity grid.
     *
     * <p>The grid is linear in the sources: {@code grid[n, p] = Σ_k M[p, k]·sourcePoints[n, k]}, with M depending only
     * on the target configuration (targets, H, W, alignCorners). M is computed in double (the (K+3)² system solved by
     * LU with partial pivoting), kept as float in a bounded cache (the last 16 configurations, at most 32 MiB of Java
     * heap; training calls with the same targets every step, and an M larger than that is computed for its call only),
     * and each point is summed over k in order in double: the same bits on every backend and thread count.
     *
     * @param sourcePoints [N, K, 2]: where the control points lie in the input, (x, y) normalised to [-1, 1]
     * @param targetPoints [K, 2]: where they lie in the output, (x, y) in base-grid coordinates; 3 ≤ K ≤ 1024,
     *     finite, no two the same, not all on one line
     * @param size {N, C, H, W} of the output image (C is not used), all positive
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grid [N, H, W, 2]
     * @throws IllegalArgumentException also for targets that define no spline (fewer than 3, more than 1024,
     *     non-finite, duplicates, all on one line, or a system that is numerically singular): the message says what
     *     is wrong and what to do
     */
    public Tensor tpsGrid(Tensor sourcePoints, Tensor targetPoints, long[] size, boolean alignCorners) {
        String op = "tpsGrid";
        long[] s = checkSize2d(op, size).clone();
        Checks.numel(op, "grid", gridShape(s));
        Tensor grid = Tensor.uninitialized(gridShape(s)); // every point is written
        return withCleanup(grid, () -> tpsGrid(sourcePoints, targetPoints, s, alignCorners, grid));
    }

    /**
     * {@link #tpsGrid(Tensor, Tensor, long[], boolean)} into {@code grid}.
     *
     * @param sourcePoints [N, K, 2]: where the control points lie in the input
     * @param targetPoints [K, 2]: where they lie in the output
     * @param size {N, C, H, W} of the output image
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param grid the output, [N, H, W, 2] (overwritten)
     * @return {@code grid}
     * @throws IllegalArgumentException also for targets that define no spline (see
     *     {@link #tpsGrid(Tensor, Tensor, long[], boolean)})
     */
    public Tensor tpsGrid(Tensor sourcePoints, Tensor targetPoints, long[] size, boolean alignCorners, Tensor grid) {
        String op = "tpsGrid";
        checkGridAgainstSize(op, "grid", grid, checkSize2d(op, size));
        long n = grid.size(0), h = grid.size(1), w = grid.size(2);
        long k = checkTargets(op, targetPoints);
        Checks.shape(sourcePoints, op, "sourcePoints", "N = size[0], K of targetPoints, 2", 3, n, k, 2, 0, 0);
        Checks.output(grid, op, "grid", sourcePoints, targetPoints, null, null);
        acquire(op, sourcePoints, targetPoints, grid, null, null);
        try {
            float[] m = tpsWeights(op, targetPoints, h, w, alignCorners); // the targets' checks: before any write
            bySamples(n, h * w * k, sourcePoints, grid, null, (n0, n1) ->
                    ThinPlateSpline.grid(m, (int) k, sourcePoints.segment(), grid.segment(), n0, n1, (int) (h * w)));
        } finally {
            release(sourcePoints, targetPoints, grid, null, null);
        }
        return grid;
    }

    /**
     * Gradient of {@link #tpsGrid} with respect to the source points, given the gradient of the grid: per sample
     * {@code Mᵀ · gradGrid} (see {@link #tpsGrid(Tensor, Tensor, long[], boolean)}), each sum over the points in
     * order, in double. It does not depend on the sources (the grid is linear in them).
     *
     * @param gradGrid [N, H, W, 2], shaped like the grid
     * @param targetPoints [K, 2], as given to the forward
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return grad sourcePoints [N, K, 2]
     * @throws IllegalArgumentException also for targets that define no spline (see
     *     {@link #tpsGrid(Tensor, Tensor, long[], boolean)})
     */
    public Tensor tpsGridBackward(Tensor gradGrid, Tensor targetPoints, long[] size, boolean alignCorners) {
        String op = "tpsGridBackward";
        long[] s = checkSize2d(op, size).clone();
        long k = checkTargets(op, targetPoints);
        Checks.numel(op, "gradSourcePoints", s[0], k, 2);
        Tensor gradSourcePoints = Tensor.uninitialized(s[0], k, 2); // every value is written
        return withCleanup(gradSourcePoints, () -> tpsGridBackward(gradGrid, targetPoints, s, alignCorners,
                gradSourcePoints));
    }

    /**
     * {@link #tpsGridBackward(Tensor, Tensor, long[], boolean)} into {@code gradSourcePoints}.
     *
     * @param gradGrid [N, H, W, 2], shaped like the grid
     * @param targetPoints [K, 2], as given to the forward
     * @param size as given to the forward
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param gradSourcePoints the output, [N, K, 2] (overwritten)
     * @return {@code gradSourcePoints}
     * @throws IllegalArgumentException also for targets that define no spline (see
     *     {@link #tpsGrid(Tensor, Tensor, long[], boolean)})
     */
    public Tensor tpsGridBackward(Tensor gradGrid, Tensor targetPoints, long[] size, boolean alignCorners,
                                  Tensor gradSourcePoints) {
        String op = "tpsGridBackward";
        checkGridAgainstSize(op, "gradGrid", gradGrid, checkSize2d(op, size));
        long n = gradGrid.size(0), h = gradGrid.size(1), w = gradGrid.size(2);
        long k = checkTargets(op, targetPoints);
        Checks.shape(gradSourcePoints, op, "gradSourcePoints", "N = size[0], K of targetPoints, 2", 3, n, k, 2, 0, 0);
        Checks.output(gradSourcePoints, op, "gradSourcePoints", gradGrid, targetPoints, null, null);
        acquire(op, gradGrid, targetPoints, gradSourcePoints, null, null);
        try {
            float[] m = tpsWeights(op, targetPoints, h, w, alignCorners);
            bySamples(n, h * w * k, gradGrid, gradSourcePoints, null, (n0, n1) -> ThinPlateSpline.gridBackward(m,
                    (int) k, gradGrid.segment(), gradSourcePoints.segment(), n0, n1, (int) (h * w)));
        } finally {
            release(gradGrid, targetPoints, gradSourcePoints, null, null);
        }
        return gradSourcePoints;
    }

    /** Checks targetPoints' shape [K, 2] and its count (before its values are copied); returns K. */
    private static long checkTargets(String op, Tensor targetPoints) {
        Checks.shape(targetPoints, op, "targetPoints", "K control points, (x, y)", 2, ANY, 2, 0, 0, 0);
        long k = targetPoints.size(0);
        try {
            ThinPlateSpline.checkCount(k);
        } catch (IllegalArgumentException e) {
            throw Checks.fail(op, e.getMessage());
        }
        return k;
    }

    /** M of the target configuration (cached), or the targets' error under this op's name. */
    private static float[] tpsWeights(String op, Tensor targetPoints, long h, long w, boolean alignCorners) {
        try {
            return ThinPlateSpline.weights(targetPoints.segment().toArray(ValueLayout.JAVA_FLOAT), h, w, alignCorners);
        } catch (IllegalArgumentException e) {
            throw Checks.fail(op, e.getMessage());
        }
    }

    /**
     * Runs an op that computes each sample on its own, in a fixed order: over whole samples on the pool's threads
     * when the call is large enough (any split gives the same bits), else, or with a tensor of a confined arena (null:
     * absent), on this thread.
     */
    private static void bySamples(long n, long perSample, Tensor a, Tensor b, Tensor c, Split.Samples task) {
        if (Split.serialSamples(n, perSample) || !Split.shareable(a, b, c, null, null, null)) {
            if (n > 0) task.run(0, n);
        } else {
            Split.samples(n, perSample, task);
        }
    }

    // ---------------------------------------------------------------- grid sample

    /**
     * Samples {@code input} at the grid's points, like {@code torch.nn.functional.grid_sample}. Points outside the
     * input are handled by {@code padding}. Non-finite grid values: NaN reads as -1; points farther than 2^22 pixels
     * (±Inf included) are clamped there first, with a zero gradient.
     *
     * @param input [N, C, H, W] or [N, C, D, H, W] with non-empty spatial dimensions
     * @param grid [N, Ho, Wo, 2] or [N, Do, Ho, Wo, 3]: (x, y[, z]) normalised to [-1, 1]
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return output [N, C, Ho, Wo] or [N, C, Do, Ho, Wo]
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners) {
        return gridSample(input, grid, mode, padding, alignCorners, Layout.NCHW);
    }

    /**
     * {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean)} on tensors of the given layout (2-D only for
     * {@link Layout#NHWC}). The values are those of the NCHW call on the transposed tensors, bit for bit.
     *
     * @param input [N, C, H, W] (or [N, C, D, H, W]) for NCHW; [N, H, W, C] for NHWC
     * @param grid [N, Ho, Wo, 2] (or [N, Do, Ho, Wo, 3] for 5-D NCHW input)
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param layout the layout of input and output
     * @return output [N, C, Ho, Wo] (or [N, C, Do, Ho, Wo]) for NCHW; [N, Ho, Wo, C] for NHWC
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                             Layout layout) {
        String op = "gridSample";
        checkSample(op, input, grid, mode, padding, layout);
        long[] shape = outputShape(input, grid, layout);
        Checks.numel(op, "output", shape);
        Tensor output = Tensor.uninitialized(shape); // the kernels write every value
        return withCleanup(output, () -> gridSample(input, grid, mode, padding, alignCorners, layout, output));
    }

    /**
     * {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean)} with PyTorch's defaults: bilinear, zeros
     * padding, {@code alignCorners = false}.
     *
     * @param input [N, C, H, W] or [N, C, D, H, W]
     * @param grid [N, Ho, Wo, 2] or [N, Do, Ho, Wo, 3]
     * @return output [N, C, Ho, Wo] or [N, C, Do, Ho, Wo]
     */
    public Tensor gridSample(Tensor input, Tensor grid) {
        return gridSample(input, grid, Interpolation.BILINEAR, Padding.ZEROS, false);
    }

    /**
     * {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean)} into {@code output}.
     *
     * @param input [N, C, H, W] or [N, C, D, H, W]
     * @param grid [N, Ho, Wo, 2] or [N, Do, Ho, Wo, 3]
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param output [N, C, Ho, Wo] or [N, C, Do, Ho, Wo] (overwritten)
     * @return {@code output}
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                             Tensor output) {
        return gridSample(input, grid, mode, padding, alignCorners, Layout.NCHW, output);
    }

    /**
     * {@link #gridSample(Tensor, Tensor, Interpolation, Padding, boolean, Layout)} into {@code output}.
     *
     * @param input [N, C, H, W] (or [N, C, D, H, W]) for NCHW; [N, H, W, C] for NHWC
     * @param grid [N, Ho, Wo, 2] (or [N, Do, Ho, Wo, 3] for 5-D NCHW input)
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param layout the layout of input and output
     * @param output [N, C, Ho, Wo] (or [N, C, Do, Ho, Wo]) for NCHW; [N, Ho, Wo, C] for NHWC (overwritten)
     * @return {@code output}
     */
    public Tensor gridSample(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                             Layout layout, Tensor output) {
        String op = "gridSample";
        checkSample(op, input, grid, mode, padding, layout);
        checkSampled(op, "output", output, input, grid, layout);
        Checks.output(output, op, "output", input, grid, null, null);
        acquire(op, input, grid, output, null, null);
        try {
            gridSampleInto(input, grid, mode, padding, alignCorners, layout == Layout.NHWC, output);
        } finally {
            release(input, grid, output, null, null);
        }
        return output;
    }

    private void gridSampleInto(Tensor input, Tensor grid, Interpolation mode, Padding padding, boolean alignCorners,
                                boolean nhwc, Tensor output) {
        long n = input.size(0), rows = rows(grid), perRow = channels(input, nhwc) * grid.size(grid.rank() - 2);
        if (stagesHeap(input, grid, output, null, null) && !Split.wholeSamples(n, rows, perRow)) {
            try (Staging st = Staging.of(input.segment(), grid.segment(), output.segment(), null, null)) {
                Tensor o = stagedOut(st, output);
                gridSampleInto(stagedIn(st, input), stagedIn(st, grid), mode, padding, alignCorners, nhwc, o);
                back(st, o, output);
            }
            return;
        }
        if (Split.serial(n, rows, perRow) || !Split.shareable(input, grid, output, null, null, null)) {
            if (n > 0 && rows > 0) samplePiece(input, grid, output, mode, padding, alignCorners, nhwc, 0, n, 0, rows);
        } else {
            Split.forward(n, rows, perRow, (n0, n1, r0, r1) ->
                    samplePiece(input, grid, output, mode, padding, alignCorners, nhwc, n0, n1, r0, r1));
        }
    }

    private void samplePiece(Tensor input, Tensor grid, Tensor output, Interpolation mode, Padding padding,
                             boolean ac, boolean nhwc, long n0, long n1, long r0, long r1) {
        long n = input.size(0), c = channels(input, nhwc);
        MemorySegment in = slice(input.segment(), n0, n1, input.numel() / n);
        MemorySegment g = slice(grid.segment(), n0, n1, grid.numel() / n);
        MemorySegment out = slice(output.segment(), n0, n1, output.numel() / n);
        Kernels.Mode m = mode.kernelMode();
        Kernels.PaddingMode p = padding.kernelMode();
        try (Staging st = staging(in, g, out, null, null)) {
            MemorySegment so = st.out(out);
            if (input.rank() == 5) {
                kernels.gridSample3d(st.in(in), st.in(g), so, n1 - n0, c, input.size(2), input.size(3), input.size(4),
                        grid.size(1), grid.size(2), grid.size(3), m, p, ac, r0, r1);
                st.backRows(so, out, n1 - n0, c, grid.size(1) * grid.size(2) * grid.size(3), grid.size(3), r0, r1);
            } else if (nhwc) { // each sample one plane of Ho rows of Wo * C floats
                kernels.gridSampleNhwc(st.in(in), st.in(g), so, n1 - n0, c, input.size(1), input.size(2),
                        grid.size(1), grid.size(2), m, p, ac, r0, r1);
                st.backRows(so, out, n1 - n0, 1, grid.size(1) * grid.size(2) * c, grid.size(2) * c, r0, r1);
            } else {
                kernels.gridSample(st.in(in), st.in(g), so, n1 - n0, c, input.size(2), input.size(3), grid.size(1),
                        grid.size(2), m, p, ac, r0, r1);
                st.backRows(so, out, n1 - n0, c, grid.size(1) * grid.size(2), grid.size(2), r0, r1);
            }
        }
    }

    /**
     * Gradients of {@link #gridSample} with respect to its input and its grid, given the gradient of its output.
     * {@code NEAREST} gives a zero grid gradient, as in PyTorch.
     *
     * @param gradOutput shaped like the output
     * @param input the forward's input
     * @param grid the forward's grid
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @return the two gradients, shaped like input and grid
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners) {
        return gridSampleBackward(gradOutput, input, grid, mode, padding, alignCorners, Layout.NCHW);
    }

    /**
     * {@link #gridSampleBackward(Tensor, Tensor, Tensor, Interpolation, Padding, boolean)} on tensors of the given
     * layout (2-D only for {@link Layout#NHWC}): the input gradient is in that layout too. The values are those of the
     * NCHW call on the transposed tensors, bit for bit.
     *
     * @param gradOutput shaped like the output: [N, C, Ho, Wo] for NCHW, [N, Ho, Wo, C] for NHWC
     * @param input the forward's input
     * @param grid the forward's grid
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param layout the layout of input, gradOutput and the input gradient
     * @return the two gradients, shaped like input and grid
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners, Layout layout) {
        checkSample("gridSampleBackward", input, grid, mode, padding, layout);
        // the call zeroes the input gradient before it scatters into it, and writes every grid gradient value
        Tensor gradInput = Tensor.uninitialized(input.shape());
        Tensor gradGrid;
        try {
            gradGrid = Tensor.uninitialized(grid.shape());
        } catch (RuntimeException | Error e) {
            gradInput.close();
            throw e;
        }
        try {
            return gridSampleBackward(gradOutput, input, grid, mode, padding, alignCorners, layout, gradInput,
                    gradGrid);
        } catch (RuntimeException | Error e) {
            gradInput.close();
            gradGrid.close();
            throw e;
        }
    }

    /**
     * {@link #gridSampleBackward(Tensor, Tensor, Tensor, Interpolation, Padding, boolean)} with PyTorch's defaults:
     * bilinear, zeros padding, {@code alignCorners = false}.
     *
     * @param gradOutput shaped like the output
     * @param input the forward's input
     * @param grid the forward's grid
     * @return the two gradients, shaped like input and grid
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid) {
        return gridSampleBackward(gradOutput, input, grid, Interpolation.BILINEAR, Padding.ZEROS, false);
    }

    /**
     * {@link #gridSampleBackward(Tensor, Tensor, Tensor, Interpolation, Padding, boolean)} into the given tensors
     * (overwritten). Either may be {@code null} to skip that gradient, which saves its work.
     *
     * @param gradOutput shaped like the output
     * @param input the forward's input
     * @param grid the forward's grid
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param gradInput the gradient with respect to the input, shaped like it, or null
     * @param gradGrid the gradient with respect to the grid, shaped like it, or null
     * @return {@code gradInput} and {@code gradGrid}
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners, Tensor gradInput,
                                              Tensor gradGrid) {
        return gridSampleBackward(gradOutput, input, grid, mode, padding, alignCorners, Layout.NCHW, gradInput,
                gradGrid);
    }

    /**
     * {@link #gridSampleBackward(Tensor, Tensor, Tensor, Interpolation, Padding, boolean, Layout)} into the given
     * tensors (overwritten). Either may be {@code null} to skip that gradient, which saves its work.
     *
     * @param gradOutput shaped like the output: [N, C, Ho, Wo] for NCHW, [N, Ho, Wo, C] for NHWC
     * @param input the forward's input
     * @param grid the forward's grid
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}: whether -1 and 1 are the centres of the corner pixels
     *     (true) or the outer edges of the corner pixels (false)
     * @param layout the layout of input, gradOutput and gradInput
     * @param gradInput the gradient with respect to the input, shaped like it, or null
     * @param gradGrid the gradient with respect to the grid, shaped like it, or null
     * @return {@code gradInput} and {@code gradGrid}
     */
    public GridSampleGrads gridSampleBackward(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                              Padding padding, boolean alignCorners, Layout layout, Tensor gradInput,
                                              Tensor gradGrid) {
        String op = "gridSampleBackward";
        checkSample(op, input, grid, mode, padding, layout);
        checkSampled(op, "gradOutput", gradOutput, input, grid, layout);
        Checks.require(gradInput != null || gradGrid != null, op, "gradInput and gradGrid are both null");
        if (gradInput != null) {
            Checks.sameShape(gradInput, op, "gradInput", input, "the shape of input");
            Checks.output(gradInput, op, "gradInput", gradOutput, input, grid, gradGrid);
        }
        if (gradGrid != null) {
            Checks.sameShape(gradGrid, op, "gradGrid", grid, "the shape of grid");
            Checks.output(gradGrid, op, "gradGrid", gradOutput, input, grid, null);
        }
        acquire(op, gradOutput, input, grid, gradInput, gradGrid);
        try {
            gridSampleBackwardInto(gradOutput, input, grid, mode, padding, alignCorners, layout == Layout.NHWC,
                    gradInput, gradGrid);
        } finally {
            release(gradOutput, input, grid, gradInput, gradGrid);
        }
        return new GridSampleGrads(gradInput, gradGrid);
    }

    private void gridSampleBackwardInto(Tensor gradOutput, Tensor input, Tensor grid, Interpolation mode,
                                        Padding padding, boolean alignCorners, boolean nhwc, Tensor gradInput,
                                        Tensor gradGrid) {
        long n = input.size(0), rows = rows(grid), perRow = channels(input, nhwc) * grid.size(grid.rank() - 2);
        MemorySegment gin = gradInput == null ? null : gradInput.segment();
        if (stagesHeap(gradOutput, input, grid, gradInput, gradGrid)
                && !Split.wholeSamplesBackward(n, rows, perRow, gin != null)) {
            try (Staging st = Staging.of(gradOutput.segment(), input.segment(), grid.segment(), segment(gradInput),
                    segment(gradGrid))) {
                Tensor gi = stagedOut(st, gradInput), gg = stagedOut(st, gradGrid); // the call zeroes gi first
                gridSampleBackwardInto(stagedIn(st, gradOutput), stagedIn(st, input), stagedIn(st, grid), mode,
                        padding, alignCorners, nhwc, gi, gg);
                back(st, gi, gradInput);
                back(st, gg, gradGrid);
            }
            return;
        }
        if (Split.serialBackward(n, rows, perRow, gin != null)) {
            if (n > 0 && rows > 0) {
                backwardPiece(gradOutput, input, grid, gin, gradGrid, mode, padding, alignCorners, nhwc, 0, n, 0,
                        rows, true);
            } else if (gin != null) {
                Memory.zero(gin); // no point: no contribution
            }
        } else {
            boolean here = !Split.shareable(gradOutput, input, grid, gradInput, gradGrid, null);
            long bandRows = kernels.bandedBackward() && input.rank() == 4 ? input.size(nhwc ? 1 : 2) : 0;
            Split.backward(n, rows, perRow, gin, input.numel() / n, here, bandRows, (g, n0, n1, r0, r1, fresh) ->
                    backwardPiece(gradOutput, input, grid, g, gradGrid, mode, padding, alignCorners, nhwc, n0, n1, r0,
                            r1, fresh), (b0, b1) -> {
                if (b0 == 0 && b1 == bandRows) {
                    backwardPiece(gradOutput, input, grid, gin, null, mode, padding, alignCorners, nhwc, 0, n, 0, rows,
                            true);
                } else {
                    bandPiece(gradOutput, input, grid, gin, mode, padding, alignCorners, nhwc, b0, b1);
                }
            });
        }
    }

    /**
     * gin: the input gradient of samples [n0, n1) (a slice, or a partial buffer of one sample), or null; overwritten
     * when fresh (every row of the samples), else added into.
     */
    private void backwardPiece(Tensor gradOutput, Tensor input, Tensor grid, MemorySegment gin, Tensor gradGrid,
                               Interpolation mode, Padding padding, boolean ac, boolean nhwc, long n0, long n1, long r0,
                               long r1, boolean fresh) {
        long n = input.size(0), c = channels(input, nhwc), gridSample = grid.numel() / n;
        MemorySegment go = slice(gradOutput.segment(), n0, n1, gradOutput.numel() / n);
        MemorySegment in = slice(input.segment(), n0, n1, input.numel() / n), g = slice(grid.segment(), n0, n1,
                gridSample);
        MemorySegment gg = gradGrid == null ? null : slice(gradGrid.segment(), n0, n1, gridSample);
        Kernels.Mode m = mode.kernelMode();
        Kernels.PaddingMode p = padding.kernelMode();
        try (Staging st = staging(go, in, g, gin, gg)) {
            MemorySegment sgi = fresh ? st.out(gin) : st.accumulating(gin), sgg = st.out(gg);
            long outW = grid.size(grid.rank() - 2), comps = grid.size(grid.rank() - 1);
            boolean freshKernel = fresh && input.rank() == 4 && !nhwc;
            if (fresh && !freshKernel && sgi != null) Memory.zero(sgi);
            if (freshKernel) {
                kernels.gridSampleBackwardFresh(st.in(go), st.in(in), st.in(g), sgi, sgg, n1 - n0, c, input.size(2),
                        input.size(3), grid.size(1), outW, m, p, ac);
            } else if (input.rank() == 5) {
                kernels.gridSample3dBackward(st.in(go), st.in(in), st.in(g), sgi, sgg, n1 - n0, c, input.size(2),
                        input.size(3), input.size(4), grid.size(1), grid.size(2), outW, m, p, ac, r0, r1);
            } else if (nhwc) {
                kernels.gridSampleBackwardNhwc(st.in(go), st.in(in), st.in(g), sgi, sgg, n1 - n0, c, input.size(1),
                        input.size(2), grid.size(1), outW, m, p, ac, r0, r1);
            } else {
                kernels.gridSampleBackward(st.in(go), st.in(in), st.in(g), sgi, sgg, n1 - n0, c, input.size(2),
                        input.size(3), grid.size(1), outW, m, p, ac, r0, r1);
            }
            if (gin != null) st.back(sgi, gin); // the scatter may write anywhere in the samples' gradient
            if (gg != null) st.backRows(sgg, gg, n1 - n0, 1, gridSample, outW * comps, r0, r1);
        }
    }

    /** Overwrites input rows [b0, b1) of the whole input gradient gin (2-D): a band of Split.backward. */
    private void bandPiece(Tensor gradOutput, Tensor input, Tensor grid, MemorySegment gin, Interpolation mode,
                           Padding padding, boolean ac, boolean nhwc, long b0, long b1) {
        long n = input.size(0), c = channels(input, nhwc);
        long inH = input.size(nhwc ? 1 : 2), inW = input.size(nhwc ? 2 : 3);
        kernels.gridSampleBackwardBand(gradOutput.segment(), input.segment(), grid.segment(), gin, n, c, inH, inW,
                grid.size(1), grid.size(2), mode.kernelMode(), padding.kernelMode(), ac, nhwc, b0, b1, true);
    }

    // ---------------------------------------------------------------- fused affine transformer

    /**
     * The affine Spatial Transformer's grid generator and sampler in one call: {@code gridSample(input,
     * affineGrid(theta, size, alignCorners), mode, padding, alignCorners)}, bit for bit, without the grid (the native
     * backends compute it a tile of points at a time; the Java backends one sample at a time). 2-D, NCHW.
     *
     * @param input [N, C, H, W]
     * @param theta [N, 2, 3], the output-to-input maps in normalised coordinates
     * @param size {N, C, Ho, Wo}: N of input, C not used (as in affine_grid), the output's spatial size
     * @param mode the interpolation (grid_sample's {@code mode})
     * @param padding what is read outside the input (grid_sample's {@code padding_mode})
     * @param alignCorners PyTorch's {@code align_corners}, for the grid and the sampler
     * @return the output, [N, C, Ho, Wo]
     */
    public Tensor affineSample(Tensor input, Tensor theta, long[] size, Interpolation mode, Padding padding,
                               boolean alignCorners) {
        String op = "affineSample";
        long[] s = checkSize(op, size).clone();
        checkFused(op, input, theta, s, mode, padding);
        long[] shape = {input.size(0), input.size(1), s[2], s[3]};
        Checks.numel(op, "output", shape);
        Tensor output = Tensor.uninitialized(shape); // every point is written
        return withCleanup(output, () -> affineSample(input, theta, s, mode, padding, alignCorners, output));
    }

    /**
     * {@link #affineSample(Tensor, Tensor, long[], Interpolation, Padding, boolean)} into {@code output}.
     *
     * @param input [N, C, H, W]
     * @param theta [N, 2, 3]
     * @param size {N, C, Ho, Wo} (C not used)
     * @param mode the interpolation
     * @param padding what is read outside the input
     * @param alignCorners PyTorch's {@code align_corners}, for the grid and the sampler
     * @param output [N, C, Ho, Wo], overwritten
     * @return {@code output}
     */
    public Tensor affineSample(Tensor input, Tensor theta, long[] size, Interpolation mode, Padding padding,
                               boolean alignCorners, Tensor output) {
        String op = "affineSample";
        checkFused(op, input, theta, checkSize(op, size), mode, padding);
        Checks.shape(output, op, "output", "N, C of input, Ho, Wo of size", 4, input.size(0), input.size(1), size[2],
                size[3], 0);
        // from here on only the tensors' own (immutable) shapes are used: the caller's array may change under us
        Checks.output(output, op, "output", input, theta, null, null);
        acquire(op, input, theta, output, null, null);
        try {
            affineSampleInto(input, theta, mode, padding, alignCorners, output);
        } finally {
            release(input, theta, output, null, null);
        }
        return output;
    }

    /**
     * Gradients of {@link #affineSample} with respect to its input and to theta, given the gradient of its output:
     * the input gradient is bitwise {@link #gridSampleBackward}'s, and theta's is bitwise {@link #affineGridBackward}
     * of its grid gradient (each row's sums, then the rows in order in double: the same for any thread count), with
     * no grid or grid gradient stored.
     *
     * @param gradOutput [N, C, Ho, Wo]
     * @param input the forward's input, [N, C, H, W]
     * @param theta the forward's theta, [N, 2, 3]
     * @param size as given to the forward
     * @param mode the interpolation
     * @param padding what is read outside the input
     * @param alignCorners PyTorch's {@code align_corners}, for the grid and the sampler
     * @return the gradients, shaped like input and theta
     */
    public AffineSampleGrads affineSampleBackward(Tensor gradOutput, Tensor input, Tensor theta, long[] size,
                                                  Interpolation mode, Padding padding, boolean alignCorners) {
        String op = "affineSampleBackward";
        long[] s = checkSize(op, size).clone();
        checkFused(op, input, theta, s, mode, padding);
        Tensor gradInput = Tensor.uninitialized(input.shape()); // overwritten
        Tensor gradTheta;
        try {
            gradTheta = Tensor.uninitialized(theta.shape());
        } catch (RuntimeException | Error e) {
            gradInput.close();
            throw e;
        }
        try {
            return affineSampleBackward(gradOutput, input, theta, s, mode, padding, alignCorners, gradInput,
                    gradTheta);
        } catch (RuntimeException | Error e) {
            gradInput.close();
            gradTheta.close();
            throw e;
        }
    }

    /**
     * {@link #affineSampleBackward(Tensor, Tensor, Tensor, long[], Interpolation, Padding, boolean)} into the given
     * gradients (overwritten; either may be null, not both).
     *
     * @param gradOutput [N, C, Ho, Wo]
     * @param input the forward's input, [N, C, H, W]
     * @param theta the forward's theta, [N, 2, 3]
     * @param size as given to the forward
     * @param mode the interpolation
     * @param padding what is read outside the input
     * @param alignCorners PyTorch's {@code align_corners}, for the grid and the sampler
     * @param gradInput shaped like input, or null
     * @param gradTheta [N, 2, 3], or null
     * @return {@code gradInput} and {@code gradTheta}
     */
    public AffineSampleGrads affineSampleBackward(Tensor gradOutput, Tensor input, Tensor theta, long[] size,
                                                  Interpolation mode, Padding padding, boolean alignCorners,
                                                  Tensor gradInput, Tensor gradTheta) {
        String op = "affineSampleBackward";
        checkFused(op, input, theta, checkSize(op, size), mode, padding);
        Checks.shape(gradOutput, op, "gradOutput", "N, C of input, Ho, Wo of size", 4, input.size(0), input.size(1),
                size[2], size[3], 0);
        // from here on only the tensors' own (immutable) shapes are used: the caller's array may change under us
        Checks.require(gradInput != null || gradTheta != null, op, "gradInput and gradTheta are both null");
        if (gradInput != null) {
            Checks.sameShape(gradInput, op, "gradInput", input, "the shape of input");
            Checks.output(gradInput, op, "gradInput", gradOutput, input, theta, gradTheta);
        }
        if (gradTheta != null) {
            Checks.sameShape(gradTheta, op, "gradTheta", theta, "the shape of theta");
            Checks.output(gradTheta, op, "gradTheta", gradOutput, input, theta, null);
        }
        acquire(op, gradOutput, input, theta, gradInput, gradTheta);
        try {
            affineSampleBackwardInto(gradOutput, input, theta, mode, padding, alignCorners, gradInput, gradTheta);
        } finally {
            release(gradOutput, input, theta, gradInput, gradTheta);
        }
        return new AffineSampleGrads(gradInput, gradTheta);
    }

    private static void checkFused(String op, Tensor input, Tensor theta, long[] size, Interpolation mode,
                                   Padding padding) {
        Checks.notNull(mode, op, "mode");
        Checks.notNull(padding, op, "padding");
        Checks.notNull(input, op, "input");
        if (input.rank() != 4 || size.length != 4) {
            throw Checks.fail(op, "is 2-D: input [N, C, H, W] and size {N, C, Ho, Wo}, got input "
                    + Arrays.toString(input.shape()) + " and size " + Arrays.toString(size)
                    + " (for 3-D, use affineGrid then gridSample)");
        }
        Checks.shape(input, op, "input", "N, C, H, W", 4, size[0], ANY, ANY, ANY, 0);
        if (input.size(2) <= 0 || input.size(3) <= 0) {
            throw Checks.fail(op, "input must have non-empty spatial dimensions, got " + Arrays.toString(input.shape()));
        }
        Checks.shape(theta, op, "theta", "N of input, 2, 3", 3, input.size(0), 2, 3, 0, 0);
    }

    private void affineSampleInto(Tensor input, Tensor theta, Interpolation mode, Padding padding, boolean ac,
                                  Tensor output) {
        long n = input.size(0), rows = output.size(2), perRow = input.size(1) * output.size(3);
        if (stagesHeap(input, theta, output, null, null) && !Split.wholeSamples(n, rows, perRow)) {
            try (Staging st = Staging.of(input.segment(), theta.segment(), output.segment(), null, null)) {
                Tensor o = stagedOut(st, output);
                affineSampleInto(stagedIn(st, input), stagedIn(st, theta), mode, padding, ac, o);
                back(st, o, output);
            }
            return;
        }
        if (Split.serial(n, rows, perRow) || !Split.shareable(input, theta, output, null, null, null)) {
            if (n > 0 && rows > 0) fusedPiece(input, theta, output, mode, padding, ac, 0, n, 0, rows);
        } else {
            Split.forward(n, rows, perRow, (n0, n1, r0, r1) ->
                    fusedPiece(input, theta, output, mode, padding, ac, n0, n1, r0, r1));
        }
    }

    private void fusedPiece(Tensor input, Tensor theta, Tensor output, Interpolation mode, Padding padding, boolean ac,
                            long n0, long n1, long r0, long r1) {
        long n = input.size(0), c = input.size(1), outH = output.size(2), outW = output.size(3);
        MemorySegment in = slice(input.segment(), n0, n1, input.numel() / n);
        MemorySegment t = slice(theta.segment(), n0, n1, 6);
        MemorySegment out = slice(output.segment(), n0, n1, output.numel() / n);
        try (Staging st = staging(in, t, out, null, null)) {
            MemorySegment so = st.out(out);
            kernels.affineSample(st.in(in), st.in(t), so, n1 - n0, c, input.size(2), input.size(3), outH, outW,
                    mode.kernelMode(), padding.kernelMode(), ac, r0, r1);
            st.backRows(so, out, n1 - n0, c, outH * outW, outW, r0, r1);
        }
    }

    private void affineSampleBackwardInto(Tensor gradOutput, Tensor input, Tensor theta, Interpolation mode,
                                          Padding padding, boolean ac, Tensor gradInput, Tensor gradTheta) {
        long n = input.size(0), rows = gradOutput.size(2), perRow = input.size(1) * gradOutput.size(3);
        MemorySegment gin = gradInput == null ? null : gradInput.segment();
        if (stagesHeap(gradOutput, input, theta, gradInput, gradTheta)
                && !Split.wholeSamplesBackward(n, rows, perRow, gin != null)) {
            try (Staging st = Staging.of(gradOutput.segment(), input.segment(), theta.segment(), segment(gradInput),
                    segment(gradTheta))) {
                Tensor gi = stagedOut(st, gradInput), gt = stagedOut(st, gradTheta);
                affineSampleBackwardInto(stagedIn(st, gradOutput), stagedIn(st, input), stagedIn(st, theta), mode,
                        padding, ac, gi, gt);
                back(st, gi, gradInput);
                back(st, gt, gradTheta);
            }
            return;
        }
        // each row's theta sums, [N, Ho, 4]: whoever computes a row's grid gradient writes them; reduced in row order
        // below, so the theta gradient does not depend on the split. A buffer kept by this thread when small, else
        // the pool's for this call.
        long rowFloats = gradTheta == null ? 0 : n * rows * 4;
        boolean kept = ThreadScratch.fits(rowFloats);
        try (Tensor own = gradTheta == null || kept ? null : Tensor.uninitialized(n, rows, 4)) {
            MemorySegment tr = gradTheta == null ? null : own != null ? own.segment()
                    : kernels.nativeMemoryOnly() ? ThreadScratch.offHeap(rowFloats)
                    : ThreadScratch.heap(ThreadScratch.ROWS, rowFloats);
            boolean here = !Split.shareable(gradOutput, input, theta, gradInput, gradTheta, null);
            affineSampleBackwardSplit(gradOutput, input, theta, mode, padding, ac, gin, tr, here);
            if (tr != null) AffineRows.reduce(tr, gradTheta.segment(), n, rows, ac);
        }
    }

    private void affineSampleBackwardSplit(Tensor gradOutput, Tensor input, Tensor theta, Interpolation mode,
                                           Padding padding, boolean ac, MemorySegment gin, MemorySegment tr,
                                           boolean here) {
        long n = input.size(0), rows = gradOutput.size(2), perRow = input.size(1) * gradOutput.size(3);
        if (Split.serialBackward(n, rows, perRow, gin != null)) {
            if (n > 0 && rows > 0) {
                fusedBackwardPiece(gradOutput, input, theta, gin, tr, mode, padding, ac, 0, n, 0, rows, true);
            } else if (gin != null) {
                Memory.zero(gin); // no point: no contribution
            }
        } else {
            long bandRows = kernels.bandedBackward() ? input.size(2) : 0;
            Split.backward(n, rows, perRow, gin, input.numel() / n, here, bandRows, (g, n0, n1, r0, r1, fresh) ->
                    fusedBackwardPiece(gradOutput, input, theta, g, tr, mode, padding, ac, n0, n1, r0, r1, fresh),
                    (b0, b1) -> {
                        if (b0 == 0 && b1 == bandRows) {
                            fusedBackwardPiece(gradOutput, input, theta, gin, null, mode, padding, ac, 0, n, 0, rows,
                                    true);
                        } else {
                            kernels.affineSampleBackwardBand(gradOutput.segment(), input.segment(), theta.segment(),
                                    gin, n, input.size(1), input.size(2), input.size(3), rows, gradOutput.size(3),
                                    mode.kernelMode(), padding.kernelMode(), ac, b0, b1, true);
                        }
                    });
        }
    }

    /**
     * gin: the input gradient of samples [n0, n1), or null, overwritten when fresh (every row of the samples), else
     * added into; thetaRows: the whole call's row sums [N, Ho, 4], or null.
     */
    private void fusedBackwardPiece(Tensor gradOutput, Tensor input, Tensor theta, MemorySegment gin,
                                    MemorySegment thetaRows, Interpolation mode, Padding padding, boolean ac, long n0,
                                    long n1, long r0, long r1, boolean fresh) {
        if (gin == null && thetaRows == null) return; // a grid piece of a call without theta's gradient
        long n = input.size(0), c = input.size(1), outH = gradOutput.size(2), outW = gradOutput.size(3);
        MemorySegment go = slice(gradOutput.segment(), n0, n1, gradOutput.numel() / n);
        MemorySegment in = slice(input.segment(), n0, n1, input.numel() / n);
        MemorySegment t = slice(theta.segment(), n0, n1, 6);
        // the rows from sample n0 on (not sliced to its end: a kept buffer may be longer, and a slice is an object)
        MemorySegment tr = thetaRows == null || n0 == 0 ? thetaRows : thetaRows.asSlice(n0 * outH * 16);
        try (Staging st = staging(go, in, t, gin, tr)) {
            MemorySegment sgi = fresh ? st.out(gin) : st.accumulating(gin), str = st.out(tr);
            kernels.affineSampleBackward(st.in(go), st.in(in), st.in(t), sgi, str, n1 - n0, c, input.size(2),
                    input.size(3), outH, outW, mode.kernelMode(), padding.kernelMode(), ac, r0, r1, fresh);
            if (gin != null) st.back(sgi, gin);
            if (tr != null) st.backRows(str, tr, n1 - n0, 1, outH * 4, 4, r0, r1);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Counts this call as a user of each given tensor (null: absent), so that a close racing with it frees nothing
     * until it ends; the checks have already refused closed tensors, so failing here means a close raced with them.
     * Fixed arity: this runs on every call and must not allocate. A tensor given twice is counted twice.
     */
    private static void acquire(String op, Tensor a, Tensor b, Tensor c, Tensor d, Tensor e) {
        if (a != null && !a.acquire()) throw closedDuringCall(op);
        if (b != null && !b.acquire()) {
            release(a, null, null, null, null);
            throw closedDuringCall(op);
        }
        if (c != null && !c.acquire()) {
            release(a, b, null, null, null);
            throw closedDuringCall(op);
        }
        if (d != null && !d.acquire()) {
            release(a, b, c, null, null);
            throw closedDuringCall(op);
        }
        if (e != null && !e.acquire()) {
            release(a, b, c, d, null);
            throw closedDuringCall(op);
        }
    }

    /** Ends the call's use of the tensors {@link #acquire} counted (and keeps them reachable until here). */
    private static void release(Tensor a, Tensor b, Tensor c, Tensor d, Tensor e) {
        if (a != null) a.release();
        if (b != null) b.release();
        if (c != null) c.release();
        if (d != null) d.release();
        if (e != null) e.release();
    }

    private static IllegalArgumentException closedDuringCall(String op) {
        return Checks.fail(op, "an argument was closed while the call was starting");
    }

    /**
     * Whether this call has float[]-backed tensors (null: absent) that its kernels cannot read as they are
     * ({@link Kernels#nativeMemoryOnly()}). They are staged through native memory ({@link Staging}): once for the
     * whole call when the call may be split into row ranges of samples (each such piece, staged on its own, would copy
     * whole samples), else piece by piece (a piece of whole samples uses its copies while they are in cache). See
     * docs/kernels.md, "Staging heap tensors", for the measurements behind the rule.
     */
    private boolean stagesHeap(Tensor a, Tensor b, Tensor c, Tensor d, Tensor e) {
        return kernels.nativeMemoryOnly() && (onHeap(a) || onHeap(b) || onHeap(c) || onHeap(d) || onHeap(e));
    }

    private static boolean onHeap(Tensor t) {
        return t != null && !t.segment().isNative();
    }

    /**
     * Staging for one piece's segments (null: absent): {@link Staging#NONE} (nothing allocated) unless the kernels
     * need native memory and one of them is on the heap.
     */
    private Staging staging(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d, MemorySegment e) {
        return kernels.nativeMemoryOnly() ? Staging.of(a, b, c, d, e) : Staging.NONE;
    }

    private static MemorySegment segment(Tensor t) {
        return t == null ? null : t.segment();
    }

    /** An input (or null) of a whole-call staging, as a tensor over its stand-in (itself when not staged). */
    private static Tensor stagedIn(Staging st, Tensor t) {
        return over(t, st.in(segment(t)));
    }

    /** An output (or null) of a whole-call staging, as a tensor over its stand-in (itself when not staged). */
    private static Tensor stagedOut(Staging st, Tensor t) {
        return over(t, st.out(segment(t)));
    }

    private static Tensor over(Tensor t, MemorySegment s) {
        return t == null || s == t.segment() ? t : Tensor.view(s, t.shape());
    }

    /** A whole-call staged output's values into the caller's tensor (nothing when it was not staged, or absent). */
    private static void back(Staging st, Tensor staged, Tensor target) {
        if (target != null) st.back(staged.segment(), target.segment());
    }

    /** Samples [n0, n1) of a tensor whose samples hold {@code perSample} floats (the segment itself when whole). */
    static MemorySegment slice(MemorySegment s, long n0, long n1, long perSample) {
        long offset = n0 * perSample * 4, bytes = (n1 - n0) * perSample * 4;
        return offset == 0 && bytes == s.byteSize() ? s : s.asSlice(offset, bytes);
    }

    /** Output rows the kernels split over: Ho (2-D) or Do * Ho (3-D). */
    private static long rows(Tensor grid) {
        return grid.rank() == 5 ? grid.size(1) * grid.size(2) : grid.size(1);
    }

    /** C of an input: its dimension 1 (NCHW) or 3 (NHWC). */
    private static long channels(Tensor input, boolean nhwc) {
        return input.size(nhwc ? 3 : 1);
    }

    /** Checks input and grid (nothing is allocated unless a check fails). */
    private static void checkSample(String op, Tensor input, Tensor grid, Interpolation mode, Padding padding,
                                    Layout layout) {
        Checks.notNull(mode, op, "mode");
        Checks.notNull(padding, op, "padding");
        Checks.notNull(layout, op, "layout");
        Checks.notNull(input, op, "input");
        int r = input.rank();
        if (layout == Layout.NHWC) {
            if (r != 4) {
                throw Checks.fail(op, "Layout.NHWC takes 2-D input [N, H, W, C] (no 3-D channels-last), got "
                        + Arrays.toString(input.shape()));
            }
            Checks.shape(input, op, "input", "N, H, W, C", 4, ANY, ANY, ANY, ANY, 0);
            if (input.size(1) <= 0 || input.size(2) <= 0) {
                throw Checks.fail(op, "input must have non-empty spatial dimensions (H, W of [N, H, W, C]), got "
                        + Arrays.toString(input.shape()));
            }
            Checks.shape(grid, op, "grid", "N of input, Ho, Wo, 2", 4, input.size(0), ANY, ANY, 2, 0);
            return;
        }
        if (r != 4 && r != 5) {
            throw Checks.fail(op, "input must have shape [N, C, H, W] or [N, C, D, H, W], got "
                    + Arrays.toString(input.shape()));
        }
        boolean is3d = r == 5;
        Checks.shape(input, op, "input", is3d ? "N, C, D, H, W" : "N, C, H, W", r, ANY, ANY, ANY, ANY, ANY);
        for (int k = 2; k < r; k++) {
            if (input.size(k) <= 0) {
                throw Checks.fail(op, "input must have non-empty spatial dimensions, got "
                        + Arrays.toString(input.shape()));
            }
        }
        if (is3d && mode == Interpolation.BICUBIC) {
            throw Checks.fail(op, "BICUBIC supports only 4-D input (as in PyTorch), got "
                    + Arrays.toString(input.shape()));
        }
        if (is3d) {
            Checks.shape(grid, op, "grid", "N of input, Do, Ho, Wo, 3", 5, input.size(0), ANY, ANY, ANY, 3);
        } else {
            Checks.shape(grid, op, "grid", "N of input, Ho, Wo, 2", 4, input.size(0), ANY, ANY, 2, 0);
        }
    }

    /** Checks that {@code t} is shaped like the output of sampling {@code input} at {@code grid}. */
    private static void checkSampled(String op, String name, Tensor t, Tensor input, Tensor grid, Layout layout) {
        if (layout == Layout.NHWC) {
            Checks.shape(t, op, name, "N of input, spatial size of grid, C of input", 4, input.size(0), grid.size(1),
                    grid.size(2), input.size(3), 0);
            return;
        }
        String hint = "N, C of input, spatial size of grid";
        if (input.rank() == 5) {
            Checks.shape(t, op, name, hint, 5, input.size(0), input.size(1), grid.size(1), grid.size(2), grid.size(3));
        } else {
            Checks.shape(t, op, name, hint, 4, input.size(0), input.size(1), grid.size(1), grid.size(2), 0);
        }
    }

    private static long[] outputShape(Tensor input, Tensor grid, Layout layout) {
        if (layout == Layout.NHWC) return new long[] {input.size(0), grid.size(1), grid.size(2), input.size(3)};
        return input.rank() == 5
                ? new long[] {input.size(0), input.size(1), grid.size(1), grid.size(2), grid.size(3)}
                : new long[] {input.size(0), input.size(1), grid.size(1), grid.size(2)};
    }

    private static long[] gridShape(long[] size) {
        return size.length == 5 ? new long[] {size[0], size[2], size[3], size[4], 3}
                : new long[] {size[0], size[2], size[3], 2};
    }

    /** Checks {@code size} (rank 4 or 5, all positive) and returns it (not a copy). */
    private static long[] checkSize(String op, long[] size) {
        Checks.notNull(size, op, "size");
        if (size.length != 4 && size.length != 5) {
            throw Checks.fail(op, "size must be {N, C, H, W} or {N, C, D, H, W}, got " + Arrays.toString(size));
        }
        for (long v : size) {
            if (v <= 0) throw Checks.fail(op, "size must be positive, got " + Arrays.toString(size));
        }
        return size;
    }

    /** Checks {@code size} of a 2-D-only op ({N, C, H, W}, all positive) and returns it (not a copy). */
    private static long[] checkSize2d(String op, long[] size) {
        Checks.notNull(size, op, "size");
        if (size.length != 4) {
            throw Checks.fail(op, "size must be {N, C, H, W} (" + op + " is 2-D only), got " + Arrays.toString(size));
        }
        for (long v : size) {
            if (v <= 0) throw Checks.fail(op, "size must be positive, got " + Arrays.toString(size));
        }
        return size;
    }

    /** Checks that {@code grid} has the grid shape of {@code size}. */
    private static void checkGridAgainstSize(String op, String name, Tensor grid, long[] size) {
        if (size.length == 5) {
            Checks.shape(grid, op, name, "N, D, H, W of size, 3", 5, size[0], size[2], size[3], size[4], 3);
        } else {
            Checks.shape(grid, op, name, "N, H, W of size, 2", 4, size[0], size[2], size[3], 2, 0);
        }
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
}

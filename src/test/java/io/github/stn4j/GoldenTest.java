package io.github.stn4j;

import static io.github.stn4j.Approx.assertClose;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every backend against PyTorch 1.13's own results (src/test/python/make_fixtures.py): every mode, padding and
 * align_corners, 2-D and 3-D, and grids with NaN, ±Inf and ±1e30 (whose expected values are PyTorch's on the grid with
 * stn4j's rule applied: NaN read as -1, far points far outside), and the projective grid against PyTorch ops. Forward
 * within 1e-5 (bicubic 5e-5), gradients within 1e-4, both relative to max(1, max |reference|).
 */
class GoldenTest {
    static final double FORWARD_TOL = 1e-5, BICUBIC_TOL = 5e-5, GRADIENT_TOL = 1e-4;

    static Stream<Arguments> cases(String prefix) {
        return TestBackends.all().flatMap(b -> Arrays.stream(Fixture.NAMES).filter(n -> n.startsWith(prefix))
                .map(n -> Arguments.of(b, n)));
    }

    static Stream<Arguments> affineCases() {
        return cases("affine");
    }

    static Stream<Arguments> sampleCases() {
        return cases("sample_");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("affineCases")
    void affineGridMatchesPyTorch(Backend backend, String name) {
        SpatialOps ops = TestBackends.ops(backend);
        Fixture f = Fixture.load(name);
        try (Tensor theta = f.tensor("theta"); Tensor gradGrid = f.tensor("grad_grid");
             Tensor grid = ops.affineGrid(theta, f.size(), f.alignCorners());
             Tensor gradTheta = ops.affineGridBackward(gradGrid, f.size(), f.alignCorners())) {
            assertClose(grid.toArray(), f.array("grid"), FORWARD_TOL, name + " grid");
            assertClose(gradTheta.toArray(), f.array("grad_theta"), GRADIENT_TOL, name + " grad theta");
        }
    }

    static Stream<Arguments> perspectiveCases() {
        return TestBackends.all().flatMap(b -> Arrays.stream(Fixture.names("perspective")).map(n -> Arguments.of(b, n)));
    }

    /**
     * The projective grid and its θ gradient against PyTorch ops with autograd (make_perspective_fixtures.py): sizes
     * 1×1, 2×13, 7×5, 13×1, 28×28, N up to 3 with a different θ (θ33 ≠ 1) per sample, both align_corners.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("perspectiveCases")
    void perspectiveGridMatchesPyTorch(Backend backend, String name) {
        SpatialOps ops = TestBackends.ops(backend);
        Fixture f = Fixture.load(name);
        try (Tensor theta = f.tensor("theta"); Tensor gradGrid = f.tensor("grad_grid");
             Tensor grid = ops.perspectiveGrid(theta, f.size(), f.alignCorners());
             Tensor gradTheta = ops.perspectiveGridBackward(gradGrid, theta, f.size(), f.alignCorners())) {
            assertClose(grid.toArray(), f.array("grid"), FORWARD_TOL, name + " grid");
            assertClose(gradTheta.toArray(), f.array("grad_theta"), GRADIENT_TOL, name + " grad theta");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sampleCases")
    void gridSampleMatchesPyTorch(Backend backend, String name) {
        SpatialOps ops = TestBackends.ops(backend);
        Fixture f = Fixture.load(name);
        try (Tensor input = f.tensor("input"); Tensor grid = f.tensor("grid"); Tensor gout = f.tensor("grad_output");
             Tensor out = ops.gridSample(input, grid, f.mode(), f.padding(), f.alignCorners())) {
            assertClose(out.toArray(), f.array("output"), f.mode() == Interpolation.BICUBIC ? BICUBIC_TOL
                    : FORWARD_TOL, name + " output");
            GridSampleGrads g = ops.gridSampleBackward(gout, input, grid, f.mode(), f.padding(), f.alignCorners());
            try (Tensor gi = g.input(); Tensor gg = g.grid()) {
                assertClose(gi.toArray(), f.array("grad_input"), GRADIENT_TOL, name + " grad input");
                assertClose(gg.toArray(), f.array("grad_grid"), GRADIENT_TOL, name + " grad grid");
            }
        }
    }
}

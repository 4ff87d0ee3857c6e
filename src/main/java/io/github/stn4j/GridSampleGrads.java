package io.github.stn4j;

/**
 * Gradients of {@link SpatialOps#gridSample}: with respect to the input ([N, C, H, W]) and to the grid ([N, Ho, Wo, 2]).
 * Either is {@code null} when it was not requested. {@link #close()} closes both, so the allocating backward reads
 * {@code try (GridSampleGrads g = ops.gridSampleBackward(...)) { ... }}.
 *
 * @param input the gradient with respect to the input, or null
 * @param grid the gradient with respect to the grid, or null
 */
public record GridSampleGrads(Tensor input, Tensor grid) implements AutoCloseable {
    /** Closes both gradients (those that are not null); see {@link Tensor#close()}. */
    @Override
    public void close() {
        try {
            if (input != null) input.close();
        } finally {
            if (grid != null) grid.close();
        }
    }
}

package io.github.stn4j;

/**
 * Gradients of {@link SpatialOps#affineSample}: with respect to the input ([N, C, H, W]) and to theta ([N, 2, 3]).
 * Either is {@code null} when it was not requested. {@link #close()} closes both, so the allocating backward reads
 * {@code try (AffineSampleGrads g = ops.affineSampleBackward(...)) { ... }}.
 *
 * @param input the gradient with respect to the input, or null
 * @param theta the gradient with respect to theta, or null
 */
public record AffineSampleGrads(Tensor input, Tensor theta) implements AutoCloseable {
    /** Closes both gradients (those that are not null); see {@link Tensor#close()}. */
    @Override
    public void close() {
        try {
            if (input != null) input.close();
        } finally {
            if (theta != null) theta.close();
        }
    }
}

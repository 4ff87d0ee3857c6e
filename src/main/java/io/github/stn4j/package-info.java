/**
 * stn4j: PyTorch's {@code affine_grid} and {@code grid_sample} (the grid generator and sampler of a Spatial
 * Transformer) with their gradients. Start with {@link io.github.stn4j.SpatialOps#best()} and
 * {@link io.github.stn4j.Tensor}.
 */
package io.github.stn4j;

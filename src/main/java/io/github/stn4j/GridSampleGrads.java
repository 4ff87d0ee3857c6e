package io.github.stn4j;

/**
 * Gradients of {@link SpatialOps#gridSample}: with respect to the input ([N, C, H, W]) and to the grid ([N, Ho, Wo, 2]).
 * Either is {@code null} when it was not requested.
 */
public record GridSampleGrads(Tensor input, Tensor grid) {}

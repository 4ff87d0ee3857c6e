package io.github.stn4j;

/**
 * How a 2-D image tensor orders its dimensions, for {@link SpatialOps#gridSample(Tensor, Tensor, Interpolation,
 * Padding, boolean, Layout)} and its backward. The grid is {@code [N, Ho, Wo, 2]} in both; the values are the same
 * (bitwise, on one backend) as sampling the transposed tensor in the other layout.
 */
public enum Layout {
    /** Channels first, PyTorch's default: input {@code [N, C, H, W]}, output {@code [N, C, Ho, Wo]}. */
    NCHW,
    /**
     * Channels last (PyTorch's {@code channels_last}, and how images store pixels): input {@code [N, H, W, C]},
     * output {@code [N, Ho, Wo, C]}. 2-D only. Each output point reads its taps' channels contiguously.
     */
    NHWC
}

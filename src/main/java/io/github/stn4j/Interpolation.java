package io.github.stn4j;

/** How {@link SpatialOps#gridSample} reads the input between pixel centres (PyTorch's {@code mode}). */
public enum Interpolation {
    /**
     * Weighted mean of the four nearest pixels: continuous in the sample position, so its gradient with respect to
     * the grid (and hence to the transform) is useful for learning. PyTorch's {@code mode="bilinear"}.
     */
    BILINEAR(0),
    /**
     * The nearest pixel (rounding half to even, as PyTorch and ONNX do); its gradient with respect to the grid is 0.
     * PyTorch's {@code mode="nearest"}.
     */
    NEAREST(1),
    /**
     * Keys' cubic convolution (A = -0.75) over the 4x4 nearest pixels, with the padding applied to each of the 16
     * taps; 2-D only. PyTorch's {@code mode="bicubic"}, ONNX's {@code cubic}.
     */
    BICUBIC(2);

    private final int code;

    Interpolation(int code) {
        this.code = code;
    }

    /** The number PyTorch and the C API ({@code STN_MODE_*}) use for this mode. */
    public int code() {
        return code;
    }
}

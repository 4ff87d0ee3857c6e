package io.github.stn4j;

/** How {@link SpatialOps#gridSample} reads the input between pixel centres (PyTorch's {@code mode}). */
public enum Interpolation {
    /**
     * Weighted mean of the four nearest pixels: continuous in the sample position, so its gradient with respect to
     * the grid (and hence to the transform) is useful for learning. PyTorch's {@code mode="bilinear"}.
     */
    BILINEAR(0);

    private final int code;

    Interpolation(int code) {
        this.code = code;
    }

    /** The number PyTorch and the C API ({@code STN_MODE_*}) use for this mode. */
    public int code() {
        return code;
    }
}

package io.github.stn4j;

/** What {@link SpatialOps#gridSample} reads for sample points outside the input (PyTorch's {@code padding_mode}). */
public enum Padding {
    /** Outside pixels read 0. */
    ZEROS(0),
    /** Points are clipped to the border pixels; the grid gradient is 0 where clipped. */
    BORDER(1),
    /**
     * Points are reflected back into the image by the border (the corner pixel centres when {@code alignCorners}, the
     * image edges otherwise), then clipped.
     */
    REFLECTION(2);

    private final int code;

    Padding(int code) {
        this.code = code;
    }

    /** The number PyTorch and the C API ({@code STN_PADDING_*}) use for this padding. */
    public int code() {
        return code;
    }
}

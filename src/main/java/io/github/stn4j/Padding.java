package io.github.stn4j;

import io.github.stn4j.internal.Kernels;

/** What {@link SpatialOps#gridSample} reads for sample points outside the input (PyTorch's {@code padding_mode}). */
public enum Padding {
    /** Outside pixels read 0. */
    ZEROS(Kernels.PaddingMode.ZEROS),
    /** Points are clipped to the border pixels; the grid gradient is 0 where clipped. */
    BORDER(Kernels.PaddingMode.BORDER),
    /**
     * Points are reflected back into the image by the border (the corner pixel centres when {@code alignCorners}, the
     * image edges otherwise), then clipped.
     */
    REFLECTION(Kernels.PaddingMode.REFLECTION);

    private final Kernels.PaddingMode kernelMode;

    Padding(Kernels.PaddingMode kernelMode) {
        this.kernelMode = kernelMode;
    }

    /**
     * The number PyTorch and the C API ({@code STN_PADDING_*}) use for this padding: its position here, since the
     * constants are declared in that order (a test holds them to the binding's {@code STN_PADDING_*}).
     *
     * @return the constant's code, from 0
     */
    public int code() {
        return ordinal();
    }

    /** What the kernels call this padding. */
    Kernels.PaddingMode kernelMode() {
        return kernelMode;
    }
}

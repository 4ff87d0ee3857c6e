package io.github.stn4j;

import io.github.stn4j.internal.Kernels;

/** How {@link SpatialOps#gridSample} reads the input between pixel centres (PyTorch's {@code mode}). */
public enum Interpolation {
    /**
     * Weighted mean of the four nearest pixels: continuous in the sample position, so its gradient with respect to
     * the grid (and hence to the transform) is useful for learning. PyTorch's {@code mode="bilinear"}.
     */
    BILINEAR(Kernels.Mode.BILINEAR),
    /**
     * The nearest pixel (rounding half to even, as PyTorch and ONNX do); its gradient with respect to the grid is 0.
     * PyTorch's {@code mode="nearest"}.
     */
    NEAREST(Kernels.Mode.NEAREST),
    /**
     * Keys' cubic convolution (A = -0.75) over the 4x4 nearest pixels, with the padding applied to each of the 16
     * taps; 2-D only. PyTorch's {@code mode="bicubic"}, ONNX's {@code cubic}.
     */
    BICUBIC(Kernels.Mode.BICUBIC);

    private final Kernels.Mode kernelMode;

    Interpolation(Kernels.Mode kernelMode) {
        this.kernelMode = kernelMode;
    }

    /**
     * The number PyTorch and the C API ({@code STN_MODE_*}) use for this mode: its position here, since the constants
     * are declared in that order (a test holds them to the binding's {@code STN_MODE_*}).
     *
     * @return the constant's code, from 0
     */
    public int code() {
        return ordinal();
    }

    /** What the kernels call this mode. */
    Kernels.Mode kernelMode() {
        return kernelMode;
    }
}

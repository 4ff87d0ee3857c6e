package io.github.stn4j.internal.vector;

import io.github.stn4j.internal.JavaScalarKernels;

/** PLACEHOLDER while the Vector API kernels are written: not committed as done. */
public final class VectorKernels extends JavaScalarKernels {
}

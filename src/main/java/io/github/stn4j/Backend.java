package io.github.stn4j;

import io.github.stn4j.internal.NativeKernels;
import java.util.ArrayList;
import java.util.List;

/**
 * The implementations of {@link SpatialOps}, in order of preference. All compute the same functions (PyTorch's
 * {@code affine_grid} and {@code grid_sample}); they differ in speed and in what they need from the machine.
 * The names match the C ISA names ({@code STN_ISA_*}) and the values of the {@code stn4j.backend} property.
 */
public enum Backend {
    /** C kernels with AVX2 and FMA (x86-64 CPUs from 2013 on), loaded from the jar through the FFM API. */
    NATIVE_AVX2(true, 2),
    /** Portable C kernels: the native reference path, available wherever the native library loads. */
    NATIVE_SCALAR(true, 1);

    private final boolean nativeCode;
    private final int isa;

    Backend(boolean nativeCode, int isa) {
        this.nativeCode = nativeCode;
        this.isa = isa;
    }

    /** Whether this backend runs C code through the native library. */
    public boolean isNative() {
        return nativeCode;
    }

    /** The C API's ISA number ({@code STN_ISA_*}) for native backends. */
    int isa() {
        return isa;
    }

    /** Whether this machine and JVM can run this backend (loads the native library on first use). */
    public boolean isAvailable() {
        return nativeCode && NativeKernels.isaSupported(isa);
    }

    /** The backends this machine and JVM can run, best first. */
    public static List<Backend> available() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : values()) {
            if (b.isAvailable()) out.add(b);
        }
        return List.copyOf(out);
    }
}

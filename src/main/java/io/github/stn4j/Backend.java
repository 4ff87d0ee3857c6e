package io.github.stn4j;

import io.github.stn4j.internal.Implementation;
import io.github.stn4j.internal.Provider;
import java.util.ArrayList;
import java.util.List;

/**
 * The implementations of {@link SpatialOps}, fastest first. All compute the same functions (PyTorch's
 * {@code affine_grid} and {@code grid_sample}, every mode, padding and {@code align_corners}, 2-D and 3-D); they differ
 * in speed and in what they need. The names are the values of the {@code stn4j.backend} and {@code stn4j.require}
 * properties; the native ones match the C ISA names ({@code STN_ISA_*}, {@code STN4J_MAX_ISA}).
 */
public enum Backend {
    /** C kernels with AVX-512 F/BW/VL (16 float lanes, masked tails). */
    NATIVE_AVX512(Implementation.NATIVE_AVX512),
    /** C kernels with AVX2 and FMA (8 float lanes). */
    NATIVE_AVX2(Implementation.NATIVE_AVX2),
    /** C kernels with AArch64 Advanced SIMD (NEON, 4 float lanes); available on every AArch64 CPU. */
    NATIVE_NEON(Implementation.NATIVE_NEON),
    /** Portable C kernels: the native reference, available wherever the native library loads. */
    NATIVE_SCALAR(Implementation.NATIVE_SCALAR),
    /**
     * The Java Vector API ({@code jdk.incubator.vector}) at the JVM's preferred width; needs
     * {@code --add-modules jdk.incubator.vector}. No native code.
     */
    VECTOR_API(Implementation.VECTOR_API),
    /** Plain Java: the specification every other backend is tested against; runs on any JVM. */
    JAVA_SCALAR(Implementation.JAVA_SCALAR);

    private final Implementation implementation;

    Backend(Implementation implementation) {
        this.implementation = implementation;
    }

    /**
     * Whether this backend runs C code through the native library.
     *
     * @return true for the native backends
     */
    public boolean isNative() {
        return implementation.isNative();
    }

    /** The internal implementation of the same name. */
    Implementation implementation() {
        return implementation;
    }

    /** The backend of an internal implementation. */
    static Backend of(Implementation implementation) {
        return valueOf(implementation.name());
    }

    /**
     * Whether this machine and JVM can run this backend (may load the native library on first use).
     *
     * @return true if the backend can be used here
     */
    public boolean isAvailable() {
        return Provider.unavailableReason(implementation) == null;
    }

    /**
     * The backends this machine and JVM can run, fastest first.
     *
     * @return the available backends, fastest first
     */
    public static List<Backend> available() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : values()) {
            if (b.isAvailable()) out.add(b);
        }
        return List.copyOf(out);
    }
}

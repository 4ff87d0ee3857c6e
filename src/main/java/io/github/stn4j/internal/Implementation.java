package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;

/**
 * The implementations the {@link Provider} chooses from, fastest first. The public {@code io.github.stn4j.Backend}
 * names the same ones in the same order (one vocabulary: enum constants, the {@code stn4j.backend} and
 * {@code stn4j.require} values, test and benchmark names); the native ones run the C API's ISA of {@link #isa()}.
 */
public enum Implementation {
    NATIVE_AVX512(true),
    NATIVE_AVX2(true),
    NATIVE_NEON(true),
    NATIVE_SCALAR(true),
    VECTOR_API(false),
    JAVA_SCALAR(false);

    private final boolean isNative;

    Implementation(boolean isNative) {
        this.isNative = isNative;
    }

    /** Whether this runs C code through the native library. */
    public boolean isNative() {
        return isNative;
    }

    /**
     * The C API's ISA number ({@code STN_ISA_*}) of a native implementation, from the binding. Asked only on native
     * paths: the binding needs native access, and a JVM without it must never load it.
     */
    public int isa() {
        return switch (this) {
            case NATIVE_AVX512 -> stn_h.STN_ISA_AVX512();
            case NATIVE_AVX2 -> stn_h.STN_ISA_AVX2();
            case NATIVE_NEON -> stn_h.STN_ISA_NEON();
            case NATIVE_SCALAR -> stn_h.STN_ISA_SCALAR();
            case VECTOR_API, JAVA_SCALAR -> throw new IllegalStateException(this + " has no native ISA");
        };
    }
}

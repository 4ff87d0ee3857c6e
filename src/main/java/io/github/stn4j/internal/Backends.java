package io.github.stn4j.internal;

import io.github.stn4j.Backend;
import java.util.Arrays;
import java.util.Locale;

/**
 * What each backend needs, and the construction of its kernels. The Vector API implementation is loaded by name,
 * only after the incubator module was found, so a JVM without {@code --add-modules jdk.incubator.vector} never links
 * against it.
 */
public final class Backends {
    private Backends() {}

    private static final String VECTOR_CLASS = "io.github.stn4j.internal.vector.VectorKernels";

    /** Why {@code b} cannot run here (with the fix), or {@code null} if it can. */
    public static String unavailableReason(Backend b) {
        return switch (b) {
            case JAVA_SCALAR -> null;
            case VECTOR_API -> VectorHolder.REASON;
            default -> {
                if (!NativeLoader.isLoaded()) yield NativeLoader.failure();
                int isa = isaOf(b);
                yield NativeKernels.isaSupported(isa) ? null
                        : "this CPU (or this build of the native library) lacks " + NativeKernels.isaName(isa);
            }
        };
    }

    public static int isaOf(Backend b) {
        return switch (b) {
            case NATIVE_AVX512 -> 3;
            case NATIVE_AVX2 -> 2;
            case NATIVE_NEON -> 4;
            case NATIVE_SCALAR -> 1;
            default -> 0;
        };
    }

    /** The native backend of an ISA number from the C API. */
    public static Backend ofIsa(int isa) {
        for (Backend b : Backend.values()) {
            if (b.isNative() && isaOf(b) == isa) return b;
        }
        throw new IllegalArgumentException("no backend for native ISA " + isa);
    }

    /** The kernels of an available backend. */
    public static Kernels kernels(Backend b) {
        String why = unavailableReason(b);
        if (why != null) throw new IllegalStateException("backend " + b + " is not available: " + why);
        return switch (b) {
            case JAVA_SCALAR -> new JavaScalarKernels();
            case VECTOR_API -> VectorHolder.KERNELS;
            default -> new NativeKernels(isaOf(b));
        };
    }

    /** Parses a backend name as the properties spell them (case-insensitive). */
    public static Backend parse(String name, String property) {
        try {
            return Backend.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("-D" + property + "=" + name + " names no backend; use one of "
                    + Arrays.toString(Backend.values()));
        }
    }

    private static final class VectorHolder {
        static final String REASON;
        static final Kernels KERNELS;

        static {
            String reason = null;
            Kernels k = null;
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                reason = "the jdk.incubator.vector module is not in this JVM; run java with"
                        + " --add-modules jdk.incubator.vector";
            } else {
                try {
                    k = (Kernels) Class.forName(VECTOR_CLASS).getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    reason = "the Vector API kernels failed to load: " + e;
                }
            }
            REASON = reason;
            KERNELS = k;
        }
    }
}

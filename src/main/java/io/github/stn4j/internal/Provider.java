package io.github.stn4j.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every "which implementation?" decision of stn4j: the spatial kernels of the automatic choice
 * ({@code SpatialOps.best()}) and the dense kernels of the {@code nn} package, chosen together, once, at the first
 * {@link #spatial()} or {@link #dense()}. The choice logs one INFO line on the {@code io.github.stn4j} logger
 * saying what was chosen and why, and one WARNING per fallback naming the fix.
 *
 * <p>Spatial kernels: {@value #REQUIRE_PROPERTY} (comma-separated names, or {@code ALL}) lists implementations that
 * must be available, else the choice fails; {@value #BACKEND_PROPERTY} forces one (a forced choice never falls back);
 * otherwise the native library's active ISA (the best this CPU runs, capped by the environment variable
 * {@value #MAX_ISA_VARIABLE}), except that its portable C path gives way to the Vector API unless a cap asked for it;
 * then the Vector API; then plain Java. Dense kernels: {@value #DENSE_PROPERTY} forces one; otherwise the native
 * library's active ISA by the same rule as the spatial kernels (its portable C path gives way to the Vector API unless
 * a cap asked for it), then the Vector API, then plain Java.
 *
 * <p>The Vector API implementations are loaded by name, and only after the incubator module was found, so that a JVM
 * without {@code --add-modules jdk.incubator.vector} never links against them; so is the dense package's, which keeps
 * this package free of any dependency on it (the dense package asks here, not the other way round).
 */
public final class Provider {
    /** Forces the spatial kernels of the automatic choice to one implementation. */
    public static final String BACKEND_PROPERTY = "stn4j.backend";
    /** Implementations that must be available for the automatic choice to succeed. */
    public static final String REQUIRE_PROPERTY = "stn4j.require";
    /** Forces the dense kernels of {@code nn} (products, convolutions) to one implementation. */
    public static final String DENSE_PROPERTY = "stn4j.dense";
    /** Caps the native library's ISA (read by the C library itself, and by the choice below to say why). */
    public static final String MAX_ISA_VARIABLE = "STN4J_MAX_ISA";

    private static final String VECTOR_KERNELS = "io.github.stn4j.internal.vector.VectorKernels";
    private static final String VECTOR_GEMM = "io.github.stn4j.internal.dense.VectorGemm";
    private static final System.Logger LOG = System.getLogger("io.github.stn4j");

    private Provider() {}

    // ---------------------------------------------------------------- what each implementation needs

    /** Why {@code impl} cannot run here, with the fix, or {@code null} if it can (may load the native library). */
    public static String unavailableReason(Implementation impl) {
        return switch (impl) {
            case JAVA_SCALAR -> null;
            case VECTOR_API -> VectorHolder.REASON;
            default -> {
                if (!NativeLoader.isLoaded()) yield NativeLoader.failure();
                yield NativeKernels.isaSupported(impl.isa()) ? null
                        : "this CPU (or this build of the native library) lacks " + NativeKernels.isaName(impl.isa());
            }
        };
    }

    /**
     * The spatial kernels of {@code impl}.
     *
     * @throws IllegalStateException if it cannot run here (the message says why and how to fix it)
     */
    public static Kernels kernels(Implementation impl) {
        String why = unavailableReason(impl);
        if (why != null) throw new IllegalStateException("backend " + impl + " is not available: " + why);
        return switch (impl) {
            case JAVA_SCALAR -> new JavaScalarKernels();
            case VECTOR_API -> VectorHolder.KERNELS;
            default -> new NativeKernels(impl.isa());
        };
    }

    // ---------------------------------------------------------------- the choice

    /**
     * The spatial implementation of the automatic choice.
     *
     * @throws IllegalStateException if a forced or required implementation is unknown or unavailable
     */
    public static Implementation spatial() {
        Choice c = ChoiceHolder.CHOICE;
        if (c.error != null) throw new IllegalStateException(c.error.getMessage(), c.error);
        return c.spatial;
    }

    /**
     * The implementation of the dense kernels of the {@code nn} package (the dense package instantiates it).
     *
     * @throws IllegalStateException if {@value #DENSE_PROPERTY} names an unknown or unavailable implementation
     */
    public static Implementation dense() {
        Choice c = ChoiceHolder.CHOICE;
        if (c.denseError != null) throw new IllegalStateException(c.denseError.getMessage(), c.denseError);
        return c.dense;
    }

    private record Choice(Implementation spatial, IllegalStateException error, Implementation dense,
                          IllegalStateException denseError) {}

    private static final class ChoiceHolder {
        static final Choice CHOICE = choose();
    }

    private static Choice choose() {
        String vectorReason = unavailableReason(Implementation.VECTOR_API);
        String cap = System.getenv(MAX_ISA_VARIABLE);
        Implementation dense = null;
        IllegalStateException denseError = null;
        String forcedDense = System.getProperty(DENSE_PROPERTY);
        try {
            if (forcedDense != null && !forcedDense.isBlank()) {
                dense = parse(forcedDense, DENSE_PROPERTY);
                String unavailable = unavailableReason(dense);
                if (unavailable != null) {
                    throw new IllegalStateException("dense kernels " + dense + " are not available: " + unavailable);
                }
            } else if (nativePreferred(cap, vectorReason)) {
                dense = ofIsa(NativeKernels.activeIsa());
            } else {
                dense = vectorReason == null ? Implementation.VECTOR_API : Implementation.JAVA_SCALAR;
            }
        } catch (IllegalStateException e) {
            dense = null;
            denseError = e;
        }
        Implementation spatial = null;
        String why = null; // the INFO line's reason, if any
        IllegalStateException error = null;
        try {
            checkRequired();
            String forced = System.getProperty(BACKEND_PROPERTY);
            if (forced != null && !forced.isBlank()) {
                spatial = parse(forced, BACKEND_PROPERTY);
                String unavailable = unavailableReason(spatial); // a forced choice never falls back
                if (unavailable != null) {
                    throw new IllegalStateException("backend " + spatial + " is not available: " + unavailable);
                }
                why = "forced by -D" + BACKEND_PROPERTY;
            } else if (nativePreferred(cap, vectorReason)) {
                spatial = ofIsa(NativeKernels.activeIsa());
                why = "native library " + NativeLoader.load() + (cap == null ? ", best ISA of this CPU"
                        : ", ISA capped by " + MAX_ISA_VARIABLE + "=" + cap);
            } else {
                if (!NativeLoader.isLoaded()) {
                    warn("native kernels unavailable, falling back to a Java backend: " + NativeLoader.failure());
                }
                if (vectorReason == null) {
                    spatial = Implementation.VECTOR_API;
                    why = NativeLoader.isLoaded() ? "the native library has no SIMD ISA for this CPU"
                            : "no native kernels";
                } else {
                    spatial = Implementation.JAVA_SCALAR;
                }
            }
        } catch (IllegalStateException e) {
            spatial = null;
            error = e;
        }
        if (vectorReason != null && dense == Implementation.JAVA_SCALAR) {
            warn(spatial == Implementation.JAVA_SCALAR && why == null
                    ? "Vector API unavailable, falling back to JAVA_SCALAR (slowest), for the dense kernels of nn"
                            + " too: " + vectorReason
                    : "Vector API unavailable, the dense kernels of nn fall back to JAVA_SCALAR: " + vectorReason);
        }
        String densePart = "dense kernels of nn: " + (dense == null ? denseError.getMessage()
                : dense + (forcedDense != null && !forcedDense.isBlank() ? " (forced by -D" + DENSE_PROPERTY + ")" : ""));
        log(System.Logger.Level.INFO, spatial == null ? densePart
                : "using " + spatial + (why == null ? "" : " (" + why + ")") + "; " + densePart);
        return new Choice(spatial, error, dense, denseError);
    }

    /**
     * Whether the automatic choice (spatial and dense alike) takes the native library's active ISA: when it loaded,
     * except that its portable C path gives way to the Vector API unless the user capped the ISA to it.
     */
    private static boolean nativePreferred(String cap, String vectorReason) {
        return NativeLoader.isLoaded() && (NativeKernels.activeIsa() != Implementation.NATIVE_SCALAR.isa()
                || cap != null || vectorReason != null);
    }

    /** Fails when an implementation that {@value #REQUIRE_PROPERTY} lists is unavailable (or unknown). */
    private static void checkRequired() {
        String required = System.getProperty(REQUIRE_PROPERTY, "");
        List<String> missing = new ArrayList<>();
        for (String name : required.split(",")) {
            if (name.isBlank()) continue;
            List<Implementation> wanted = name.strip().equalsIgnoreCase("ALL")
                    ? Arrays.asList(Implementation.values()) : List.of(parse(name, REQUIRE_PROPERTY));
            for (Implementation impl : wanted) {
                String why = unavailableReason(impl);
                if (why != null) missing.add(impl + " (" + why + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("-D" + REQUIRE_PROPERTY + "=" + required + " but unavailable: "
                    + String.join("; ", missing));
        }
    }

    /** Parses an implementation's name as the properties spell them (case-insensitive). */
    static Implementation parse(String name, String property) {
        try {
            return Implementation.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("-D" + property + "=" + name + " names no backend; use one of "
                    + Arrays.toString(Implementation.values()));
        }
    }

    /** The native implementation of an ISA number from the C API. */
    static Implementation ofIsa(int isa) {
        for (Implementation impl : Implementation.values()) {
            if (impl.isNative() && impl.isa() == isa) return impl;
        }
        throw new IllegalArgumentException("no implementation for native ISA " + isa);
    }

    private static void warn(String message) {
        log(System.Logger.Level.WARNING, message);
    }

    private static void log(System.Logger.Level level, String message) {
        LOG.log(level, "stn4j " + Version.get() + ": " + message);
    }

    /** The Vector API's kernels, probed once: loading them proves the module links (the dense ones are loaded too). */
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
                    k = (Kernels) Class.forName(VECTOR_KERNELS).getDeclaredConstructor().newInstance();
                    Class.forName(VECTOR_GEMM);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    reason = "the Vector API kernels failed to load: " + e;
                    k = null;
                }
            }
            REASON = reason;
            KERNELS = k;
        }
    }
}

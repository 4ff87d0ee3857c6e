package io.github.stn4j;

import io.github.stn4j.internal.NativeKernels;
import io.github.stn4j.internal.NativeLoader;
import io.github.stn4j.internal.Pool;
import io.github.stn4j.internal.Version;
import java.util.Optional;

/** Facts about this stn4j build and what it found on this machine. */
public final class Stn4j {
    private Stn4j() {}

    /**
     * The library version.
     *
     * @return the version, e.g. {@code 0.2.0}
     */
    public static String version() {
        return Version.get();
    }

    /**
     * The platform id used to find the native library.
     *
     * @return the platform id, e.g. {@code linux-x86_64}
     */
    public static String platform() {
        return NativeLoader.platform();
    }

    /**
     * Where the native library was loaded from.
     *
     * @return the library's location, or empty if it could not be loaded (see {@link #nativeFailure()})
     */
    public static Optional<String> nativeLibrary() {
        return NativeLoader.isLoaded() ? Optional.of(NativeLoader.load()) : Optional.empty();
    }

    /**
     * Why the native library could not be loaded.
     *
     * @return the reason, or empty if it loaded
     */
    public static Optional<String> nativeFailure() {
        return Optional.ofNullable(NativeLoader.failure());
    }

    /**
     * The ISA the native library chooses on its own (best supported by the CPU, capped by the environment variable
     * {@code STN4J_MAX_ISA}).
     *
     * @return the ISA's name, e.g. {@code avx2}; empty if the library is not loaded
     */
    public static Optional<String> nativeActiveIsa() {
        if (!NativeLoader.isLoaded()) return Optional.empty();
        return Optional.of(NativeKernels.isaName(NativeKernels.activeIsa()));
    }

    /**
     * The native memory stn4j holds itself (tensors it allocated, live or cached for reuse, and scratch buffers), and
     * its limit. Tensors in a caller's {@link java.lang.foreign.Arena} and wrapped segments are the caller's and not
     * counted.
     *
     * @param inUseBytes held by live tensors and running calls
     * @param cachedBytes freed and kept for reuse; released when idle, when an allocation needs the room, or by
     *     {@link #trimNativeMemory()}
     * @param limitBytes the bound on {@code inUseBytes + cachedBytes}: {@code -Dstn4j.maxNativeMemory} if set, else
     *     {@code -XX:MaxDirectMemorySize}, else the maximum heap size (the JVM's default for direct memory)
     */
    public record NativeMemory(long inUseBytes, long cachedBytes, long limitBytes) {}

    /**
     * How much native memory stn4j holds now (see {@link NativeMemory}).
     *
     * @return the bytes in use, cached, and the limit
     *
     * @throws IllegalStateException if {@code -Dstn4j.maxNativeMemory} is not a size
     */
    public static NativeMemory nativeMemory() {
        long limit = Pool.limit();
        long cached = Pool.cached();
        return new NativeMemory(Math.max(0, Pool.inUse()), cached, limit);
    }

    /** Releases every cached block of native memory back to the system (live tensors keep theirs). */
    public static void trimNativeMemory() {
        Pool.trim();
    }
}

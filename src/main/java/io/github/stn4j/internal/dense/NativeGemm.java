package io.github.stn4j.internal.dense;

import io.github.stn4j.internal.Implementation;
import io.github.stn4j.internal.Threads;
import io.github.stn4j.internal.bindings.stn_h;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@link Gemm}'s products, convolutions and max-pooling in the native library, on one ISA (native/src/dense_simd.inc,
 * dense.c). The layers' arrays are passed as they are: the downcalls are critical ones with heap access (no copy),
 * which hold off safepoints while they run, so each call is kept short: one block of 48 rows or 64 columns of a
 * product, or at most {@value #CHUNK} samples of a convolution. Array lengths are checked here (C trusts the sizes it
 * is given). Work is split over {@link Threads} by rows or columns of C (each element computed by one call), by
 * samples (forward, input gradient), or by fixed chunks of {@value #CHUNK} samples whose weight-gradient partials are
 * added in chunk order: the bits do not depend on the thread count.
 */
final class NativeGemm extends Gemm {
    /** Samples per weight-gradient partial: fixed, so that the sum's order is too. */
    static final int CHUNK = 8;
    /**
     * Multiply-adds below which a product runs on the calling thread alone (~40 µs of work): below that the hand-off
     * to the pool's thread cost more than it saved (the fully connected models trained slower on 2 threads than 1).
     */
    private static final long SERIAL_MACS = 1L << 21;

    private static final Linker.Option CRITICAL = Linker.Option.critical(true);
    private static final MethodHandle SGEMM = critical(stn_h.stn_sgemm$address(), stn_h.stn_sgemm$descriptor());
    private static final MethodHandle FORWARD =
            critical(stn_h.stn_conv2d_forward$address(), stn_h.stn_conv2d_forward$descriptor());
    private static final MethodHandle BACKWARD_INPUT =
            critical(stn_h.stn_conv2d_backward_input$address(), stn_h.stn_conv2d_backward_input$descriptor());
    private static final MethodHandle BACKWARD_WEIGHT =
            critical(stn_h.stn_conv2d_backward_weight$address(), stn_h.stn_conv2d_backward_weight$descriptor());

    private static final MethodHandle POOL =
            critical(stn_h.stn_max_pool2d$address(), stn_h.stn_max_pool2d$descriptor());
    private static final MethodHandle POOL_BACKWARD =
            critical(stn_h.stn_max_pool2d_backward$address(), stn_h.stn_max_pool2d_backward$descriptor());

    private static MethodHandle critical(MemorySegment address, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, CRITICAL);
    }

    /** Per-thread im2col scratch, grown on demand (one per thread that runs a convolution). */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Per-thread weight-gradient partials (see conv2dBackwardWeight). */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[0]);

    private final Implementation impl;
    private final int isa;

    NativeGemm(Implementation impl) {
        this.impl = impl;
        this.isa = impl.isa();
    }

    private static MemorySegment seg(float[] a) {
        return a == null ? MemorySegment.NULL : MemorySegment.ofArray(a);
    }

    private static MemorySegment seg(float[] a, long offset) {
        return MemorySegment.ofArray(a).asSlice(offset * Float.BYTES);
    }

    private static float[] scratch(long floats) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < floats) holder[0] = new float[Math.toIntExact(floats)];
        return holder[0];
    }

    private static long scratchFloats(int c, int h, int w, int o, int k, int pad) {
        long floats = stn_h.stn_conv2d_scratch(c, h, w, o, k, pad);
        if (floats < 0) throw new IllegalStateException("stn_conv2d_scratch refused " + c + "x" + h + "x" + w + " k " + k);
        return floats;
    }

    /** Input, weights and output (or their gradients) hold what a convolution of these sizes reads and writes. */
    private static void convFits(float[] x, float[] w, float[] y, int n, int c, int h, int wd, int o, int k, int pad) {
        fits("input", x, (long) n * c * h * wd);
        fits("weights", w, (long) o * c * k * k);
        fits("output", y, (long) n * o * (h + 2L * pad - k + 1) * (wd + 2L * pad - k + 1));
    }

    /**
     * Runs body over [0, n) samples split over the threads, at most {@value #CHUNK} samples per call: a critical
     * downcall holds off safepoints (and so the garbage collector), so none may run for long, even when a whole batch
     * runs on one thread.
     */
    private static void forSamples(int n, Threads.RangeTask body) {
        Threads.forRange(n, 1, (from, to) -> {
            for (int s = from; s < to; s += CHUNK) body.run(s, Math.min(to, s + CHUNK));
        });
    }

    private static void check(int rc, String function) {
        if (rc != 0) throw new IllegalStateException(function + " failed with " + rc + " (a bug in stn4j's checks)");
    }

    /** Throws unless each array holds at least the floats the call reads or writes (C trusts these sizes). */
    private static void fits(String what, float[] a, long needed) {
        if (a.length < needed) {
            throw new IllegalArgumentException(what + " holds " + a.length + " floats, the call needs " + needed);
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, float[] b, float[] c,
                     boolean accumulate) {
        fits("A", a, (long) m * k);
        fits("B", b, (long) k * n);
        fits("C", c, (long) m * n);
        // leading dimensions of at least 1 (the C API's rule; an empty matrix's is never used)
        int lda = Math.max(1, transA ? m : k), ldb = Math.max(1, transB ? k : n), ldc = Math.max(1, n);
        long macs = (long) m * n * k;
        if (m >= n || macs < SERIAL_MACS) {
            // rows of C in blocks of 48 (the kernel's row block), one downcall per block: a critical downcall holds
            // off safepoints, so none may run for long even when the whole product runs on this thread
            int blocks = (m + 47) / 48, grain = macs < SERIAL_MACS ? Math.max(1, blocks) : 1;
            Threads.forRange(blocks, grain, (from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    int r0 = blk * 48, r1 = Math.min(m, r0 + 48);
                    sgemm(transA, transB, r1 - r0, n, k, seg(a, transA ? r0 : (long) r0 * k), lda, seg(b), ldb,
                            seg(c, (long) r0 * n), ldc, accumulate);
                }
            });
        } else { // columns of C in blocks of 64 (whole micro-panels on every ISA)
            int blocks = (n + 63) / 64;
            Threads.forRange(blocks, 1, (from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    int j0 = blk * 64, j1 = Math.min(n, j0 + 64);
                    sgemm(transA, transB, m, j1 - j0, k, seg(a), lda, seg(b, transB ? (long) j0 * k : j0), ldb,
                            seg(c, j0), ldc, accumulate);
                }
            });
        }
    }

    private void sgemm(boolean transA, boolean transB, long m, long n, long k, MemorySegment a, long lda,
                       MemorySegment b, long ldb, MemorySegment c, long ldc, boolean accumulate) {
        try {
            check((int) SGEMM.invokeExact(isa, transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb, c, ldc,
                    accumulate ? 1 : 0), "stn_sgemm");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public void nn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                   boolean accumulate) {
        fits("A", a, aOff + (long) m * k);
        fits("B", b, bOff + (long) k * n);
        fits("C", c, cOff + (long) m * n);
        sgemm(false, false, m, n, k, seg(a, aOff), Math.max(1, k), seg(b, bOff), Math.max(1, n), seg(c, cOff),
                Math.max(1, n), accumulate);
    }

    @Override
    public void conv2dForward(float[] x, float[] w, float[] b, float[] y, int n, int c, int h, int wd, int o, int k,
                              int pad, boolean relu) {
        long cols = scratchFloats(c, h, wd, o, k, pad);
        convFits(x, w, y, n, c, h, wd, o, k, pad);
        fits("bias", b, o);
        forSamples(n, (from, to) -> {
            try {
                check((int) FORWARD.invokeExact(isa, seg(x), seg(w), seg(b), seg(y), seg(scratch(cols)), (long) n,
                        (long) c, (long) h, (long) wd, (long) o, (long) k, (long) pad, relu ? 1 : 0, (long) from,
                        (long) to), "stn_conv2d_forward");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
    }

    @Override
    public void conv2dBackwardInput(float[] gy, float[] reluY, float[] w, float[] gx, int n, int c, int h, int wd,
                                    int o, int k, int pad) {
        if (pad >= k) { // the native input gradient needs pad < k; such a layer is rare enough for the spec
            super.conv2dBackwardInput(gy, reluY, w, gx, n, c, h, wd, o, k, pad);
            return;
        }
        long cols = scratchFloats(c, h, wd, o, k, pad);
        convFits(gx, w, gy, n, c, h, wd, o, k, pad);
        if (reluY != null) fits("relu output", reluY, gy.length);
        forSamples(n, (from, to) -> {
            try {
                check((int) BACKWARD_INPUT.invokeExact(isa, seg(gy), seg(reluY), seg(w), seg(gx), seg(scratch(cols)), (long) n,
                        (long) c, (long) h, (long) wd, (long) o, (long) k, (long) pad, (long) from, (long) to),
                        "stn_conv2d_backward_input");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
    }

    @Override
    public void conv2dBackwardWeight(float[] gy, float[] reluY, float[] x, float[] gw, float[] gb, int n, int c, int h,
                                     int wd, int o, int k, int pad) {
        long cols = scratchFloats(c, h, wd, o, k, pad);
        convFits(x, gw, gy, n, c, h, wd, o, k, pad);
        if (reluY != null) fits("relu output", reluY, gy.length);
        if (gb != null) fits("bias gradient", gb, o);
        int chunks = Math.max(1, (n + CHUNK - 1) / CHUNK), wn = o * c * k * k, stride = wn + o;
        // chunk 0 sums into gw / gb, every later chunk into its own slice of one partials array (kept per thread,
        // so a training loop allocates none); then the partials are added in chunk order
        float[] partials = chunks == 1 ? null : PARTIALS.get();
        if (partials != null && partials.length < (long) (chunks - 1) * stride) {
            partials = new float[Math.toIntExact((long) (chunks - 1) * stride)];
            PARTIALS.set(partials);
        }
        float[] part = partials;
        Threads.forRange(chunks, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                MemorySegment w = i == 0 ? seg(gw) : seg(part, (long) (i - 1) * stride);
                MemorySegment b = gb == null ? MemorySegment.NULL
                        : i == 0 ? seg(gb) : seg(part, (long) (i - 1) * stride + wn);
                try {
                    check((int) BACKWARD_WEIGHT.invokeExact(isa, seg(gy), seg(reluY), seg(x), w, b, seg(scratch(cols)), (long) n,
                            (long) c, (long) h, (long) wd, (long) o, (long) k, (long) pad, 0,
                            (long) Math.min(n, i * CHUNK), (long) Math.min(n, (i + 1) * CHUNK)),
                            "stn_conv2d_backward_weight");
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        });
        for (int i = 1; i < chunks; i++) {
            int base = (i - 1) * stride;
            for (int j = 0; j < wn; j++) gw[j] += part[base + j];
            if (gb != null) for (int j = 0; j < o; j++) gb[j] += part[base + wn + j];
        }
    }

    @Override
    public void maxPool2d(float[] x, float[] y, int[] arg, int planes, int h, int w, int k) {
        Threads.forRange(planes, poolGrain(h, w), (from, to) -> {
            try {
                check((int) POOL.invokeExact(isa, seg(x), seg(y), MemorySegment.ofArray(arg), (long) planes, (long) h,
                        (long) w, (long) k, (long) from, (long) to), "stn_max_pool2d");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
    }

    @Override
    public void maxPool2dBackward(float[] gy, int[] arg, float[] gx, int planes, int h, int w, int k) {
        Threads.forRange(planes, poolGrain(h, w), (from, to) -> {
            try {
                check((int) POOL_BACKWARD.invokeExact(isa, seg(gy), MemorySegment.ofArray(arg), seg(gx),
                        (long) planes, (long) h, (long) w, (long) k, (long) from, (long) to),
                        "stn_max_pool2d_backward");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
    }

    @Override
    public String name() {
        return "native(" + impl + ")";
    }
}

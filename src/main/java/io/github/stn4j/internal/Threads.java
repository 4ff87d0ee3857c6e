package io.github.stn4j.internal;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The thread pool that the kernels' callers split work on ({@code io.github.stn4j.Parallel} is its public face). Its
 * size is the system property {@value #THREADS_PROPERTY}, else the number of available processors. Callers split work
 * into index ranges whose results go to disjoint outputs, each computed in a fixed order, so that results are bitwise
 * identical for any number of threads.
 */
public final class Threads {
    public static final String THREADS_PROPERTY = "stn4j.threads";

    private static volatile ForkJoinPool pool = newPool(defaultThreads());

    private Threads() {}

    private static int defaultThreads() {
        String p = System.getProperty(THREADS_PROPERTY);
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.strip());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + p + " is not a positive integer");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("stn4j-" + t.getPoolIndex());
            return t;
        }, null, false);
    }

    /** The number of threads work is split over. */
    public static int threads() {
        return pool.getParallelism();
    }

    /** Sets the number of threads (at least 1). */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (threads == threads()) return;
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
    }

    /** A task over the index range [from, to). */
    public interface RangeTask {
        void run(int from, int to);
    }

    /** Units of work per participating thread: enough for the threads to even out a slow or late one. */
    static final int UNITS_PER_THREAD = 4;

    /**
     * Runs {@code task} over [0, n) on up to {@code threads()} threads (each range at least {@code grain} indices long,
     * unless n is shorter); returns when all are done. [0, n) is cut into up to {@value #UNITS_PER_THREAD} contiguous
     * ranges per thread, which the calling thread and the pool's threads claim in turn: a thread the machine slows
     * down, or one that wakes late, takes fewer of them, where a fixed half each made the other thread wait
     * (docs/kernels.md, "Threads"). Which thread runs a range never changes what it computes. A failure is rethrown
     * once every thread has stopped: the caller may free the memory the others write to.
     */
    public static void forRange(int n, int grain, RangeTask task) {
        int g = Math.max(1, grain);
        int parts = Math.min(threads(), Math.max(1, n / g));
        if (parts <= 1 || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) task.run(0, n);
            return;
        }
        int units = Math.min(parts * UNITS_PER_THREAD, Math.max(1, n / g));
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            try {
                for (int k; (k = next.getAndIncrement()) < units; ) {
                    task.run((int) ((long) n * k / units), (int) ((long) n * (k + 1) / units));
                }
            } catch (RuntimeException | Error e) {
                next.set(units); // no new ranges once one has failed
                throw e;
            }
        };
        ForkJoinPool p = pool;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(parts - 1);
        for (int k = 1; k < parts; k++) tasks.add(p.submit(worker));
        Throwable failure = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        // wait for every thread even after a failure: the caller may free the memory the others still write to
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) failure = e;
                else if (failure != e) failure.addSuppressed(e);
            }
        }
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
    }
}

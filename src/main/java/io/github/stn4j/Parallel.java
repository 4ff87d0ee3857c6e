package io.github.stn4j;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/**
 * The thread pool stn4j's layers split work on. Its size is the system property {@code stn4j.threads}, else the number
 * of available processors, and can be changed with {@link #setThreads(int)}. Work is always split into index ranges
 * whose results go to disjoint outputs, each computed in a fixed order, so results are bitwise identical for any
 * number of threads.
 */
public final class Parallel {
    public static final String THREADS_PROPERTY = "stn4j.threads";

    private static volatile ForkJoinPool pool = newPool(defaultThreads());

    private Parallel() {}

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

    /**
     * Runs {@code task} over [0, n) split into at most {@code threads()} contiguous ranges of at least {@code grain}
     * indices; returns when all are done.
     */
    public static void forRange(int n, int grain, RangeTask task) {
        int parts = Math.min(threads(), Math.max(1, n / Math.max(1, grain)));
        if (parts <= 1 || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) task.run(0, n);
            return;
        }
        ForkJoinPool p = pool;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(parts);
        for (int k = 1; k < parts; k++) {
            int from = (int) ((long) n * k / parts), to = (int) ((long) n * (k + 1) / parts);
            tasks.add(p.submit(() -> task.run(from, to)));
        }
        task.run(0, (int) ((long) n / parts));
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}

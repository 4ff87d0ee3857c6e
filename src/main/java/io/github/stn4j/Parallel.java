package io.github.stn4j;

import io.github.stn4j.internal.Threads;

/**
 * The thread pool stn4j's layers split work on. Its size is the system property {@code stn4j.threads}, else the number
 * of available processors, and can be changed with {@link #setThreads(int)}. Work is always split into index ranges
 * whose results go to disjoint outputs, each computed in a fixed order, so results are bitwise identical for any
 * number of threads.
 */
public final class Parallel {
    /** The system property that sets the number of threads at start-up: {@value}. */
    public static final String THREADS_PROPERTY = Threads.THREADS_PROPERTY;

    private Parallel() {}

    /**
     * The number of threads work is split over.
     *
     * @return the current number of threads, at least 1
     */
    public static int threads() {
        return Threads.threads();
    }

    /**
     * Sets the number of threads.
     *
     * @param threads the new number of threads, at least 1
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public static void setThreads(int threads) {
        Threads.setThreads(threads);
    }

    /**
     * Releases the native memory that stn4j keeps cached for reuse (scratch buffers and freed tensors alike), as
     * {@link Stn4j#trimNativeMemory()} does. Calls that are running keep theirs until they end.
     */
    public static void releaseScratch() {
        Stn4j.trimNativeMemory();
    }

    /** A task over the index range [from, to). */
    public interface RangeTask {
        /**
         * Does the work of one range.
         *
         * @param from the first index, inclusive
         * @param to the end, exclusive
         */
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over [0, n) on up to {@code threads()} threads (each range at least {@code grain} indices long,
     * unless n is shorter); returns when all are done, and rethrows the first failure once every thread has stopped.
     * [0, n) is cut into a few contiguous ranges per thread, which the calling thread and the pool's threads claim in
     * turn, so that a slow or late thread takes fewer. Which thread runs a range never changes what it computes.
     *
     * @param n the number of indices
     * @param grain the smallest range worth a task of its own
     * @param task the work, called once per range
     */
    public static void forRange(int n, int grain, RangeTask task) {
        Threads.forRange(n, grain, task::run);
    }
}

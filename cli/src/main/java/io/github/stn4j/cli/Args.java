package io.github.stn4j.cli;

import io.github.stn4j.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks of the options the commands share; each failure is a {@link UsageError} that names the option. */
final class Args {
    private Args() {}

    /** Beyond any machine this runs on; ForkJoinPool itself stops at 32,767. */
    static final int MAX_THREADS = 1024;

    static void atLeast(String option, int value, int min) {
        if (value < min) throw new UsageError(option + " must be " + min + " or more; got " + value);
    }

    /** Applies --threads (null: leave stn4j's default, the available processors). */
    static void threads(Integer threads) {
        if (threads == null) return;
        if (threads < 1 || threads > MAX_THREADS) {
            throw new UsageError("--threads must be from 1 to " + MAX_THREADS + "; got " + threads);
        }
        Parallel.setThreads(threads);
    }

    /** Creates the output folder now, so that a bad path fails before the work rather than after it. */
    static void outFolder(String option, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageError(option + " " + dir + " is a file; " + option + " takes a folder (created if missing)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UsageError("cannot create the " + option + " folder " + dir + " (" + e + "); choose another "
                    + option);
        }
        if (!Files.isWritable(dir)) {
            throw new UsageError("the " + option + " folder " + dir + " is not writable; choose another " + option);
        }
    }
}

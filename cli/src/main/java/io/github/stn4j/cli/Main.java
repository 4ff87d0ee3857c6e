package io.github.stn4j.cli;

import io.github.stn4j.Backend;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Stn4j;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code stn4j} command line. It is built apart from the library (cli/pom.xml), so the library has no runtime
 * dependency: picocli, progressbar and XChart come with the command line's jar only.
 *
 * <p>Exit codes: {@value #OK} success, {@value #FAILURE} failure while running, {@value #USAGE} usage error. A usage
 * error (a wrong argument, a missing input, an output folder that does not exist, a size that cannot fit, ...) is
 * one line on stderr, {@code stn4j <command>: <what is wrong>; <how to fix it>}, never a stack trace: only a bug
 * prints one.
 */
@Command(name = "stn4j", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Spatial transformer operations (affine grid + grid sample) on the JVM.",
        subcommands = {InfoCommand.class, WarpCommand.class, TrainCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure while running (I/O error, out of memory)",
                "2:usage error: one line on stderr says what is wrong and how to fix it"})
public final class Main implements Runnable {
    static final int OK = 0, FAILURE = 1, USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        configureLogging();
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(Main::parameterError)
                .setExecutionExceptionHandler(Main::executionError);
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli lets errors through; this one has a fix the user can apply (the sizes warp checks beforehand)
            PrintWriter err = cl.getErr();
            err.println("stn4j: out of memory (" + e.getMessage() + "); give java more heap, e.g. java -Xmx8g -jar ..."
                    + " or JAVA_OPTS=-Xmx8g ./stn4j ...");
            err.flush();
            return FAILURE;
        }
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: info, warp, train or demo");
    }

    /** Picocli's parse errors (and a missing command): its own message, one line, and where the options are listed. */
    private static int parameterError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        String name = cl.getCommandSpec().qualifiedName();
        String message = oneLine(e.getMessage());
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String guess = closest(u.getUnmatched().get(0), cl);
            if (guess != null) message += " (did you mean " + guess + "?)";
        }
        cl.getErr().println(name + ": " + message + "; see '" + name + " --help'");
        cl.getErr().flush();
        return USAGE;
    }

    /** Errors from a command's run: a usage or I/O error is one line; anything else is a bug, shown with its trace. */
    private static int executionError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        String name = cl.getCommandSpec().qualifiedName();
        PrintWriter err = cl.getErr();
        try {
            if (e instanceof UsageError) {
                err.println(name + ": " + oneLine(e.getMessage()));
                return USAGE;
            }
            if (e instanceof IOException || e instanceof UncheckedIOException) {
                Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
                err.println(name + ": I/O error: " + oneLine(String.valueOf(io)));
                return FAILURE;
            }
            err.println(name + ": internal error, please report it with the command and this trace: " + e);
            e.printStackTrace(err);
            return FAILURE;
        } finally {
            err.flush();
        }
    }

    /**
     * The option or command name {@code arg} was probably meant to be: a typo or a swap of two letters away, or the
     * start of it. (picocli's own guess compares letter pairs, and took "wrap" for "train".)
     */
    static String closest(String arg, CommandLine cl) {
        String word = arg.startsWith("-") && arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        Iterable<String> names = word.startsWith("-") ? cl.getCommandSpec().optionsMap().keySet()
                : cl.getSubcommands().keySet();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : names) {
            int d = name.length() > word.length() && name.startsWith(word) && word.length() >= 3 ? 1
                    : editDistance(word, name);
            if (d < bestDistance || d == bestDistance && best != null && name.compareTo(best) < 0) {
                best = name;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, word.length() / 3) ? best : null;
    }

    /** Insertions, deletions, substitutions and swaps of neighbours needed to turn a into b. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    // ---------------------------------------------------------------- what the commands share

    /** Whether this JVM has the Vector API's module: {@code java -jar} alone has not (a manifest cannot add it). */
    static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The spatial operations on {@code backend}, or on the best available one if it is {@code null}; a backend that
     * cannot run here is a usage error naming the fix.
     */
    static SpatialOps spatialOps(Backend backend) {
        if (backend == Backend.VECTOR_API && !vectorApiPresent()) {
            throw new UsageError("--backend VECTOR_API needs the jdk.incubator.vector module, which this JVM was"
                    + " started without; run java with --add-modules jdk.incubator.vector (./stn4j does), or leave"
                    + " --backend out to use the best available");
        }
        try {
            return backend == null ? SpatialOps.best() : SpatialOps.of(backend);
        } catch (IllegalStateException e) {
            // best() fails only for a forced -Dstn4j.backend or -Dstn4j.require; its message names the property
            throw new UsageError(backend == null ? oneLine(e.getMessage())
                    : "--backend " + backend + " cannot run here (" + oneLine(e.getMessage()) + "); available: "
                    + Backend.available());
        }
    }

    /** The command line's own version (cli.properties, filtered by Maven). */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("cli.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"stn4j-cli " + version() + " (library stn4j " + Stn4j.version() + ")"};
        }
    }

    // ---------------------------------------------------------------- logging

    private static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";
    /** Held: java.util.logging keeps loggers weakly, and a collected one would forget its level. */
    private static Logger libraryLog;

    /**
     * The library logs its backend choice at INFO on the {@code io.github.stn4j} logger; the commands print what they
     * use themselves, so only the library's warnings are shown, one line each. A user's own logging configuration
     * ({@code -Djava.util.logging.config.file}) is left alone.
     */
    private static synchronized void configureLogging() {
        if (libraryLog != null || System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        if (System.getProperty(FORMAT_PROPERTY) == null) System.setProperty(FORMAT_PROPERTY, "%4$s: %5$s%6$s%n");
        libraryLog = Logger.getLogger("io.github.stn4j");
        libraryLog.setLevel(Level.WARNING);
    }
}

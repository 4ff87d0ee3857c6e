package io.github.stn4j.cli;

import io.github.stn4j.Backend;
import io.github.stn4j.Stn4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stn4j} command line. It is built apart from the library (cli/pom.xml), so the library has no runtime
 * dependency: picocli, progressbar and XChart come with the command line's jar only.
 */
@Command(name = "stn4j", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Spatial transformer operations (affine grid + grid sample) on the JVM.",
        subcommands = {WarpCommand.class, InfoCommand.class, TrainCommand.class, DemoCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: warp or info");
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"stn4j " + Stn4j.version()};
        }
    }

    static Backend parseBackend(String s) {
        return s == null ? null : Backend.valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}

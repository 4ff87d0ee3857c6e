package io.github.stn4j.cli;

import io.github.stn4j.Backend;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Stn4j;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the version, the platform, the native library and the backends.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("stn4j " + Stn4j.version() + " (command line " + Main.version() + ")");
        System.out.println("platform:       " + Stn4j.platform());
        System.out.println("java:           " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + ")");
        System.out.println("native library: " + Stn4j.nativeLibrary().orElse("not loaded: "
                + Stn4j.nativeFailure().orElse("?")));
        System.out.println("active ISA:     " + Stn4j.nativeActiveIsa().orElse("none")
                + (System.getenv("STN4J_MAX_ISA") != null ? " (STN4J_MAX_ISA=" + System.getenv("STN4J_MAX_ISA") + ")"
                : ""));
        System.out.println("Vector API:     " + (Main.vectorApiPresent() ? "present"
                : "absent (run java with --add-modules jdk.incubator.vector)"));
        System.out.println("available:      " + Backend.available());
        try {
            System.out.println("backend:        " + SpatialOps.best().backend());
            return Main.OK;
        } catch (IllegalStateException e) {
            System.out.println("backend:        none (" + e.getMessage() + ")");
            return Main.FAILURE;
        }
    }
}

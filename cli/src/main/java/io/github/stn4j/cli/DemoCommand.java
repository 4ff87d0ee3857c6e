package io.github.stn4j.cli;

import io.github.stn4j.SpatialOps;
import io.github.stn4j.data.Distortion;
import io.github.stn4j.nn.SpatialTransformer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true, description = {
        "The main demo: a plain model against its Spatial Transformer counterpart on RTS-distorted Fashion-MNIST",
        "(the subset inside this jar unless --data is given), same budget for both; prints a table of the",
        "two test errors and writes the pictures under --out."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--pair", defaultValue = "cnn", description = "fcn (fcn vs st-fcn) or cnn (cnn vs st-cnn);"
            + " default ${DEFAULT-VALUE}")
    String pair;

    @Option(names = "--epochs", defaultValue = "8", description = "0 or more (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--data", paramLabel = "DIR", description = "IDX folder (default: the Fashion-MNIST subset inside"
            + " this jar)")
    Path data;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--threads", description = "threads, 1 to " + Args.MAX_THREADS + " (default: available processors)")
    Integer threads;

    @Option(names = "--out", defaultValue = "out/demo", paramLabel = "DIR", description = "folder for the pictures,"
            + " created if missing (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!pair.equals("fcn") && !pair.equals("cnn")) {
            throw new UsageError("unknown --pair '" + pair + "'; use fcn (fcn against st-fcn) or cnn (cnn against"
                    + " st-cnn)");
        }
        Args.atLeast("--epochs", epochs, 0);
        Args.threads(threads);
        TrainCommand.Data source = data != null ? TrainCommand.resolveData(data) : TrainCommand.Data.BUNDLED;
        Args.outFolder("--out", out);
        SpatialOps ops = Main.spatialOps(null);
        TrainCommand.Prepared prepared = TrainCommand.prepare(source, Distortion.RTS, 0, seed, ops);
        List<TrainCommand.Result> results = new ArrayList<>();
        for (String model : new String[] {pair, "st-" + pair}) {
            results.add(TrainCommand.run(model, SpatialTransformer.Transform.affine(), prepared, epochs, 64, seed,
                    1e-3f, out.resolve(model), true, System.out));
        }
        System.out.println();
        System.out.println("RTS distortion on " + source + ", " + epochs + " epochs, seed " + seed + ":");
        System.out.println("| model  | parameters | test error |");
        System.out.println("|--------|-----------:|-----------:|");
        for (TrainCommand.Result r : results) {
            System.out.printf(Locale.ROOT, "| %-6s | %,10d | %9.2f%% |%n", r.model(), r.parameters(), 100 * r.testError());
        }
        System.out.println("pictures: " + out.resolve("st-" + pair).resolve("rectified.png") + " (inputs and what the"
                + " transformer made of them), " + out + "/*/curve.png");
        return Main.OK;
    }
}

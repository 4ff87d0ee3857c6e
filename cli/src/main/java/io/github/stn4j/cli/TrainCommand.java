package io.github.stn4j.cli;

import io.github.stn4j.Parallel;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.data.Dataset;
import io.github.stn4j.data.Distortion;
import io.github.stn4j.data.Idx;
import io.github.stn4j.nn.Checkpoint;
import io.github.stn4j.nn.SpatialTransformer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, description = {
        "Train a classifier on distorted Fashion-MNIST (or MNIST) and report its test error.",
        "The last line is exactly 'test error: X.XX%%'."})
final class TrainCommand implements Callable<Integer> {
    /** Where Debian's dataset-fashion-mnist package puts the data. */
    static final Path SYSTEM_DATA = Path.of("/usr/share/datasets/fashion-mnist");
    /** The test set's distortion does not depend on --seed, so that every run is scored on the same images. */
    static final long TEST_SEED = 2015;

    @Option(names = "--model", defaultValue = "st-cnn", description = "fcn, st-fcn, cnn or st-cnn (default ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--distortion", defaultValue = "rts", description = "none, r, rts, tc, p (projective) or e"
            + " (elastic); default ${DEFAULT-VALUE}")
    Distortion distortion;

    @Option(names = "--transform", defaultValue = "aff", description = "what the Spatial Transformer of st-fcn and"
            + " st-cnn regresses: aff (affine, 6 parameters), proj (projective, 8), tps (thin-plate spline, 4x4"
            + " control points: 32); default ${DEFAULT-VALUE}; fcn and cnn have no transformer and ignore it")
    TransformName transform;

    @Option(names = "--data", paramLabel = "DIR", description = "folder with the IDX files (default: "
            + "/usr/share/datasets/fashion-mnist if present, else the Fashion-MNIST subset inside this jar: 5,000"
            + " training, 1,000 test images)")
    Path data;

    @Option(names = "--epochs", defaultValue = "10", description = "0 or more (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "images per step, 1 or more"
            + " (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "initialisation, training distortions and shuffling"
            + " (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "threads, 1 to " + Args.MAX_THREADS + " (default: available processors)")
    Integer threads;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate, above 0"
            + " (default ${DEFAULT-VALUE})")
    float lr;

    @Option(names = "--train-limit", defaultValue = "0", description = "use only the first N training images (0: all)")
    int trainLimit;

    @Option(names = "--out", defaultValue = "out/train", paramLabel = "DIR", description = "folder for pictures,"
            + " metrics and the model, created if missing (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--quiet", description = "no progress bar (one line per epoch)")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The transforms of the paper's Table 1, by the names {@code --transform} takes (case-insensitive). */
    enum TransformName {
        AFF, PROJ, TPS;

        SpatialTransformer.Transform transform() {
            return switch (this) {
                case AFF -> SpatialTransformer.Transform.affine();
                case PROJ -> SpatialTransformer.Transform.projective();
                case TPS -> SpatialTransformer.Transform.tps(Models.TPS_POINTS);
            };
        }
    }

    @Override
    public Integer call() throws IOException {
        // every argument before the minutes of training start
        if (!Models.NAMES.contains(model)) {
            throw new UsageError("unknown --model '" + model + "'; use one of " + String.join(", ", Models.NAMES));
        }
        Args.atLeast("--epochs", epochs, 0);
        Args.atLeast("--batch", batch, 1);
        Args.atLeast("--train-limit", trainLimit, 0);
        if (!(lr > 0) || !Float.isFinite(lr)) throw new UsageError("--lr needs a finite number above 0; got " + lr);
        Args.threads(threads);
        Data source = resolveData(data);
        Args.outFolder("--out", out);
        SpatialOps ops = Main.spatialOps(null);
        if (!model.startsWith("st-") && spec.commandLine().getParseResult().hasMatchedOption("--transform")) {
            // accepted, so that a script can pass one --transform to every model of a comparison
            System.out.println("note: " + model + " has no Spatial Transformer; --transform "
                    + transform.name().toLowerCase(Locale.ROOT) + " is ignored");
        }
        Prepared p = prepare(source, distortion, trainLimit, seed, ops);
        Result r = run(model, transform.transform(), p, epochs, batch, seed, lr, out, quiet, System.out);
        System.out.printf(Locale.ROOT, "test error: %.2f%%%n", 100 * r.testError());
        return Main.OK;
    }

    static Data resolveData(Path data) {
        if (data == null) return Files.isDirectory(SYSTEM_DATA) ? new Data(SYSTEM_DATA) : Data.BUNDLED;
        if (!Files.isDirectory(data)) {
            throw new UsageError((Files.exists(data) ? "--data " + data + " is a file" : "the --data folder " + data
                    + " does not exist") + "; " + Data.WANTED);
        }
        return new Data(data);
    }

    /** Where the images come from: a folder of IDX files, or (no folder) the subset inside the jar. */
    record Data(Path dir) {
        static final Data BUNDLED = new Data(null);
        static final String WANTED = "--data takes a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,"
                + " t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz), e.g. "
                + SYSTEM_DATA + " from Debian's dataset-fashion-mnist";

        /** One set, "train" or "t10k"; a missing or corrupt file is the user's to fix. */
        Dataset load(String prefix) {
            try {
                Dataset d = dir == null ? Idx.loadBundled(prefix) : Idx.load(dir, prefix);
                if (d.size() == 0 || d.h() < 7 || d.w() < 7) {
                    throw new IOException(prefix + " holds " + d.size() + " images of " + d.h() + "x" + d.w()
                            + " (train needs at least one, of 7x7 or more)");
                }
                return d;
            } catch (IOException e) {
                throw new UsageError("cannot read the images in " + this + ": " + e.getMessage() + "; " + WANTED);
            }
        }

        @Override
        public String toString() {
            return dir == null ? "the Fashion-MNIST subset inside the jar" : dir.toString();
        }
    }

    /** The distorted training and test sets, shared by the models a run trains (demo trains two). */
    record Prepared(Dataset train, Dataset test, Distortion distortion, Data source, SpatialOps ops) {}

    static Prepared prepare(Data source, Distortion dist, int trainLimit, long seed, SpatialOps ops) {
        Dataset train = source.load("train"), test = source.load("t10k");
        if (trainLimit > 0) train = train.head(trainLimit);
        return new Prepared(dist.apply(train, seed, ops), dist.apply(test, TEST_SEED, ops), dist, source, ops);
    }

    record Result(String model, long parameters, double testError, List<Trainer.Epoch> epochs) {}

    /**
     * Trains one model and writes its files into {@code out}; an ST model's transformer regresses {@code transform}
     * (a plain model ignores it).
     */
    static Result run(String modelName, SpatialTransformer.Transform transform, Prepared p, int epochs, int batch,
                      long seed, float lr, Path out, boolean quiet, PrintStream log) throws IOException {
        Distortion dist = p.distortion();
        Dataset train = p.train(), test = p.test();
        Models.Built m = Models.build(modelName, dist.size(), seed, transform);
        String label = m.transformer() != null ? modelName + " (" + transform + " transform)" : modelName;
        log.printf(Locale.ROOT, "%s with %s distortion on %s: %d training, %d test images of %dx%d; %,d parameters;"
                        + " %d threads, spatial backend %s%n", label, dist, p.source(), train.size(), test.size(),
                dist.size(), dist.size(), m.net().parameterCount(), Parallel.threads(), p.ops().backend());
        Files.createDirectories(out);
        Trainer trainer = new Trainer(m.net(), batch, epochs, lr, seed);
        List<Trainer.Epoch> history = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            Trainer.Epoch ep;
            if (quiet) {
                ep = trainer.train(e, train, test, null);
            } else {
                try (ProgressBar pb = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", e + 1, epochs))
                        .setInitialMax(train.size()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                        .continuousUpdate().build()) {
                    ep = trainer.train(e, train, test, (done, total, loss, acc, ips) -> {
                        pb.stepTo(done);
                        pb.setExtraMessage(String.format(Locale.ROOT, "loss %.3f acc %.1f%% %.0f img/s", loss,
                                100 * acc, ips));
                    });
                }
            }
            history.add(ep);
            log.printf(Locale.ROOT, "epoch %d/%d: loss %.4f, train error %.2f%%, test error %.2f%%, %.0f images/s%n",
                    e + 1, epochs, ep.loss(), 100 * ep.trainError(), 100 * ep.testError(), ep.imagesPerSecond());
        }
        double err = history.isEmpty() ? trainer.error(test) : history.get(history.size() - 1).testError();
        Checkpoint.save(m.net(), out.resolve("model.bin"));
        try (PrintStream csv = new PrintStream(Files.newOutputStream(out.resolve("metrics.csv")))) {
            csv.println("epoch,loss,train_error,test_error,images_per_second");
            for (Trainer.Epoch ep : history) {
                csv.printf(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.1f%n", ep.epoch() + 1, ep.loss(), ep.trainError(),
                        ep.testError(), ep.imagesPerSecond());
            }
        }
        if (!history.isEmpty()) {
            Pictures.curve(label + " on " + dist + " (seed " + seed + ")", history, out.resolve("curve.png"));
        }
        if (m.transformer() != null) Pictures.rectified(m.transformer(), test, 16, out.resolve("rectified.png"));
        log.println("wrote " + out.resolve("model.bin") + ", metrics.csv, curve.png"
                + (m.transformer() != null ? ", rectified.png" : ""));
        return new Result(modelName, m.net().parameterCount(), err, history);
    }
}

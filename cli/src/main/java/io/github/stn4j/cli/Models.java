package io.github.stn4j.cli;

import io.github.stn4j.nn.Conv2d;
import io.github.stn4j.nn.Flatten;
import io.github.stn4j.nn.Linear;
import io.github.stn4j.nn.MaxPool2d;
import io.github.stn4j.nn.Layer;
import io.github.stn4j.nn.ReLU;
import io.github.stn4j.nn.Sequential;
import io.github.stn4j.nn.SpatialTransformer;
import java.util.List;
import java.util.Random;

/**
 * The four models of the experiments, for S×S inputs and 10 classes. As in the paper's comparison, a plain model gets
 * the capacity its Spatial Transformer counterpart spends on the localisation network: its width is chosen so that the
 * parameter counts are within 10% of each other. The ST models take the transform their transformer regresses
 * (affine, projective, 4×4 thin-plate spline); the plain models are matched to the affine twin, whatever the
 * transform: the others only widen the final regression layer (32 → 8 and 32 → 32 instead of 32 → 6: 66 and 858 more
 * parameters), well within the 10% (ModelsTest checks every pair and transform).
 *
 * <ul>
 *   <li>{@code st-fcn}: ST (localisation: S² → 32 → ReLU → θ) to 28×28, then 784 → 128 → 128 → 10.</li>
 *   <li>{@code fcn}: S² → h → h → 10, h chosen to match st-fcn.</li>
 *   <li>{@code st-cnn}: ST (localisation: max-pool 2, (S/2)² → 32 → ReLU → θ) to 28×28, then conv 5×5 16, pool,
 *       conv 5×5 32, pool, linear 1568 → 10.</li>
 *   <li>{@code cnn}: conv 5×5 16, pool, conv 5×5 c, pool, linear → 10 on S×S, c chosen to match st-cnn.</li>
 * </ul>
 */
public final class Models {
    private Models() {}

    /** The names {@link #build} takes, plain before Spatial Transformer. */
    public static final List<String> NAMES = List.of("fcn", "st-fcn", "cnn", "st-cnn");

    /** The thin-plate spline's control points per side, as in the paper (4 × 4). */
    public static final int TPS_POINTS = 4;

    /** A model and, for ST models, its transformer (for pictures). */
    public record Built(String name, Layer net, SpatialTransformer transformer) {}

    /** The model with an affine transformer (for the ST models). */
    public static Built build(String name, int s, long seed) {
        return build(name, s, seed, SpatialTransformer.Transform.affine());
    }

    /** The model; an ST model's transformer regresses {@code transform}, a plain model ignores it. */
    public static Built build(String name, int s, long seed, SpatialTransformer.Transform transform) {
        Random rnd = new Random(seed);
        return switch (name) {
            case "st-fcn" -> {
                SpatialTransformer st = new SpatialTransformer(new Sequential(new Flatten(), new Linear(s * s, 32, rnd),
                        new ReLU()), 32, 28, 28, transform);
                yield new Built(name, new Sequential(st, new Flatten(), new Linear(784, 128, rnd), new ReLU(),
                        new Linear(128, 128, rnd), new ReLU(), new Linear(128, 10, rnd)), st);
            }
            case "fcn" -> {
                long target = build("st-fcn", s, seed).net().parameterCount();
                int h = 1;
                while (fcnParams(s, h + 1) <= target) h++;
                if (Math.abs(fcnParams(s, h + 1) - target) < Math.abs(fcnParams(s, h) - target)) h++;
                yield new Built(name, new Sequential(new Flatten(), new Linear(s * s, h, rnd), new ReLU(),
                        new Linear(h, h, rnd), new ReLU(), new Linear(h, 10, rnd)), null);
            }
            case "st-cnn" -> {
                SpatialTransformer st = new SpatialTransformer(new Sequential(new MaxPool2d(2), new Flatten(),
                        new Linear((s / 2) * (s / 2), 32, rnd), new ReLU()), 32, 28, 28, transform);
                yield new Built(name, new Sequential(st, new Conv2d(1, 16, 5, 2, rnd), new ReLU(), new MaxPool2d(2),
                        new Conv2d(16, 32, 5, 2, rnd), new ReLU(), new MaxPool2d(2), new Flatten(),
                        new Linear(32 * 7 * 7, 10, rnd)), st);
            }
            case "cnn" -> {
                long target = build("st-cnn", s, seed).net().parameterCount();
                int best = 1;
                for (int c = 1; c <= 256; c++) {
                    if (Math.abs(cnnParams(s, c) - target) < Math.abs(cnnParams(s, best) - target)) best = c;
                }
                int q = (s / 2) / 2;
                yield new Built(name, new Sequential(new Conv2d(1, 16, 5, 2, rnd), new ReLU(), new MaxPool2d(2),
                        new Conv2d(16, best, 5, 2, rnd), new ReLU(), new MaxPool2d(2), new Flatten(),
                        new Linear(best * q * q, 10, rnd)), null);
            }
            default -> throw new IllegalArgumentException("unknown model " + name + " (fcn, st-fcn, cnn, st-cnn)");
        };
    }

    static long fcnParams(int s, long h) {
        return (long) s * s * h + h + h * h + h + h * 10 + 10;
    }

    static long cnnParams(int s, long c) {
        long q = (s / 2) / 2;
        return 16 * 25 + 16 + c * 16 * 25 + c + c * q * q * 10 + 10;
    }
}

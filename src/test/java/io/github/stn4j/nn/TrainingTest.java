package io.github.stn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
    @Test
    void transformerStartsAsTheIdentity() {
        Random rnd = new Random(1);
        SpatialTransformer st = new SpatialTransformer(new Sequential(new Flatten(), new Linear(2 * 5 * 6, 4, rnd)), 4,
                5, 6);
        float[] x = new float[2 * 2 * 5 * 6];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        Var out = st.forward(Var.constant(x, 2, 2, 5, 6));
        assertArrayEquals(x, out.data(), 1e-6f, "identity θ and the same size must reproduce the input");
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}, st.lastTheta());
    }

    @Test
    void everyTransformStartsAsTheIdentity() {
        Random rnd = new Random(1);
        float[] x = new float[2 * 2 * 5 * 6];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        for (SpatialTransformer.Transform t : List.of(SpatialTransformer.Transform.affine(),
                SpatialTransformer.Transform.projective(), SpatialTransformer.Transform.tps(4))) {
            SpatialTransformer st = new SpatialTransformer(new Sequential(new Flatten(), new Linear(2 * 5 * 6, 4, rnd)),
                    4, 5, 6, t);
            assertEquals(t, st.transform());
            Var out = st.forward(Var.constant(x, 2, 2, 5, 6));
            assertArrayEquals(x, out.data(), 1e-5f, t + ": the identity and the same size must reproduce the input");
            float[] identity = t.identity(), last = st.lastTheta();
            assertEquals(2 * t.parameters(), last.length, t + ": lastTheta is [B, parameters()]");
            for (int b = 0; b < 2; b++) {
                assertArrayEquals(identity, Arrays.copyOfRange(last, b * identity.length, (b + 1) * identity.length));
            }
        }
    }

    @Test
    void transforms() {
        var aff = SpatialTransformer.Transform.affine();
        var proj = SpatialTransformer.Transform.projective();
        var tps = SpatialTransformer.Transform.tps(3);
        assertEquals(List.of("aff", "proj", "tps"), List.of(aff.name(), proj.name(), tps.name()));
        assertEquals(List.of(6, 8, 18), List.of(aff.parameters(), proj.parameters(), tps.parameters()));
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, aff.identity());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0, 0, 0}, proj.identity());
        float[] targets = {-1, -1, 0, -1, 1, -1, -1, 0, 0, 0, 1, 0, -1, 1, 0, 1, 1, 1}; // y outer, x inner
        assertArrayEquals(targets, tps.targets());
        assertArrayEquals(targets, tps.identity());
        assertEquals(tps, SpatialTransformer.Transform.tps(3));
        assertEquals(SpatialTransformer.Transform.tps(3).hashCode(), tps.hashCode());
        assertNotEquals(tps, SpatialTransformer.Transform.tps(4));
        assertEquals("tps(3)", tps.toString());
        tps.targets()[0] = 42; // a copy
        assertEquals(-1f, tps.targets()[0]);
        assertThrows(IllegalStateException.class, aff::targets);
        assertThrows(IllegalArgumentException.class, () -> SpatialTransformer.Transform.tps(1));
        assertThrows(IllegalArgumentException.class, () -> SpatialTransformer.Transform.tps(33));
        assertEquals(aff, new SpatialTransformer(new Flatten(), 30, 5, 6).transform(), "the old constructors: affine");
    }

    /** A checkpoint holds the regression layer, whose shape follows the transform: other transforms are refused. */
    @Test
    void checkpointsOfEveryTransform(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("st.bin");
        for (SpatialTransformer.Transform t : List.of(SpatialTransformer.Transform.affine(),
                SpatialTransformer.Transform.projective(), SpatialTransformer.Transform.tps(4))) {
            SpatialTransformer a = new SpatialTransformer(new Linear(30, 4, new Random(1)), 4, 5, 6, t);
            SpatialTransformer b = new SpatialTransformer(new Linear(30, 4, new Random(2)), 4, 5, 6, t);
            a.parameters().getLast().data()[0] = 0.75f; // a trained bias
            Checkpoint.save(a, file);
            Checkpoint.load(b, file);
            for (int i = 0; i < a.parameters().size(); i++) {
                assertArrayEquals(a.parameters().get(i).data(), b.parameters().get(i).data(), t + " parameter " + i);
            }
            var other = t.equals(SpatialTransformer.Transform.affine()) ? SpatialTransformer.Transform.tps(3)
                    : SpatialTransformer.Transform.affine();
            SpatialTransformer c = new SpatialTransformer(new Linear(30, 4, new Random(2)), 4, 5, 6, other);
            assertThrows(IOException.class, () -> Checkpoint.load(c, file), t + " into " + other);
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int before = Parallel.threads();
        try {
            float[][] results = new float[2][];
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                Random rnd = new Random(5);
                Sequential net = new Sequential(new Conv2d(1, 6, 5, 2, rnd), new ReLU(), new MaxPool2d(2),
                        new Flatten(), new Linear(6 * 7 * 7, 10, rnd));
                float[] x = new float[32 * 14 * 14];
                for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i * 0.37);
                Var loss = F.crossEntropy(net.forward(Var.constant(x, 32, 1, 14, 14)), new int[32]);
                loss.backward();
                results[t - 1] = net.parameters().get(0).grad().clone();
            }
            assertArrayEquals(results[0], results[1], "gradients differ between 1 and 2 threads");
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void optimisersMoveAgainstTheGradient() {
        for (int kind = 0; kind < 2; kind++) {
            Var p = Var.parameter(new float[] {3f, -2f}, 2);
            Optimizer opt = kind == 0 ? new Optimizer.Sgd(List.of(p), 0.1f, 0.9f) : new Optimizer.Adam(List.of(p), 0.1f);
            for (int i = 0; i < 200; i++) {
                Var loss = F.weightedSum(F.reshape(p, 2), p.data().clone()); // Σ p·p (gradient 2p with the copy)
                loss.backward();
                opt.step();
                opt.zeroGrad();
            }
            assertTrue(Math.abs(p.data()[0]) < 0.1 && Math.abs(p.data()[1]) < 0.1, "did not converge: "
                    + p.data()[0] + ", " + p.data()[1]);
        }
    }

    @Test
    void checkpointsRoundTripAndRejectOtherModels(@TempDir Path dir) throws IOException {
        Sequential a = new Sequential(new Linear(4, 3, new Random(1)), new ReLU(), new Linear(3, 2, new Random(2)));
        Sequential b = new Sequential(new Linear(4, 3, new Random(7)), new ReLU(), new Linear(3, 2, new Random(8)));
        Path file = dir.resolve("m.bin");
        Checkpoint.save(a, file);
        Checkpoint.load(b, file);
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(a.parameters().get(i).data(), b.parameters().get(i).data());
        }
        Sequential other = new Sequential(new Linear(4, 5, new Random(1)));
        float[] keep = other.parameters().get(0).data().clone();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(other, file));
        assertTrue(e.getMessage().contains("parameters") || e.getMessage().contains("shape"), e.getMessage());
        assertArrayEquals(keep, other.parameters().get(0).data(), "a rejected checkpoint must not change the model");
        Files.writeString(file, "garbage");
        assertThrows(IOException.class, () -> Checkpoint.load(b, file));
    }

    /** A layer whose output would not fit a Java array is refused before any kernel runs (no wrapped size). */
    @Test
    void outputsBeyondAnArrayAreRefused() {
        Var x = Var.constant(new float[65536], 65536, 1);
        Var w = Var.parameter(new float[65537], 65537, 1), b = Var.parameter(new float[65537], 65537);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.linear(x, w, b));
        assertTrue(e.getMessage().contains("does not fit a Java array"), e.getMessage());
    }
}

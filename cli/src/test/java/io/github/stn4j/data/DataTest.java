package io.github.stn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Backend;
import io.github.stn4j.SpatialOps;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    static final Path SUBSET = Path.of("src/demo/fashion-mnist-subset");

    @Test
    void readsTheShippedSubset() throws IOException {
        Dataset train = Idx.load(SUBSET, "train"), test = Idx.load(SUBSET, "t10k");
        assertEquals(5000, train.size());
        assertEquals(1000, test.size());
        assertEquals(28, train.h());
        // the first Fashion-MNIST training label is 9 (ankle boot), the first test label 9 too
        assertEquals(9, train.labels()[0]);
        assertEquals(9, test.labels()[0]);
        float max = 0;
        for (float v : train.images()) max = Math.max(max, v);
        assertEquals(1f, max);
    }

    /** The jar's copy is the repository's subset: train and demo read it when no --data is given. */
    @Test
    void theBundledSubsetIsTheShippedOne() throws IOException {
        for (String prefix : new String[] {"train", "t10k"}) {
            Dataset files = Idx.load(SUBSET, prefix), bundled = Idx.loadBundled(prefix);
            assertArrayEquals(files.labels(), bundled.labels(), prefix);
            assertArrayEquals(files.images(), bundled.images(), prefix);
        }
        assertTrue(Idx.class.getResource(Idx.BUNDLED + "LICENSE") != null, "the subset's MIT notice is not bundled");
    }

    @Test
    void readsPlainAndGzippedIdxAndRejectsBadFiles(@TempDir Path dir) throws IOException {
        byte[] images = new byte[16 + 2 * 2 * 3];
        java.nio.ByteBuffer.wrap(images).putInt(0x803).putInt(2).putInt(2).putInt(3);
        for (int i = 0; i < 12; i++) images[16 + i] = (byte) (i * 20);
        byte[] labels = new byte[8 + 2];
        java.nio.ByteBuffer.wrap(labels).putInt(0x801).putInt(2);
        labels[8] = 4;
        labels[9] = 7;
        Files.write(dir.resolve("train-images-idx3-ubyte"), images);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("train-labels-idx1-ubyte.gz")))) {
            out.write(labels);
        }
        Dataset d = Idx.load(dir, "train");
        assertArrayEquals(new int[] {4, 7}, d.labels());
        assertEquals(2, d.h());
        assertEquals(3, d.w());
        assertEquals(220 / 255f, d.images()[11], 1e-7f);
        images[3] = 0x04;
        Files.write(dir.resolve("train-images-idx3-ubyte"), images);
        assertThrows(IOException.class, () -> Idx.load(dir, "train"));
        assertThrows(IOException.class, () -> Idx.load(dir, "t10k"));
    }

    /** A corrupt header is an IOException (which train reports as one line), not an overflow or a huge array. */
    @Test
    void rejectsCorruptHeaders(@TempDir Path dir) throws IOException {
        byte[] labels = new byte[8 + 2];
        java.nio.ByteBuffer.wrap(labels).putInt(0x801).putInt(2);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels);
        for (int[] header : new int[][] {{-1, 2, 3}, {2, 0, 3}, {2, 70000, 70000}, {3, 2, 3}}) {
            byte[] images = new byte[16 + 2 * 2 * 3];
            java.nio.ByteBuffer.wrap(images).putInt(0x803).putInt(header[0]).putInt(header[1]).putInt(header[2]);
            Files.write(dir.resolve("train-images-idx3-ubyte"), images);
            assertThrows(IOException.class, () -> Idx.load(dir, "train"), java.util.Arrays.toString(header));
        }
    }

    @Test
    void distortionsAreSeededAndSized() throws IOException {
        Dataset d = Idx.load(SUBSET, "t10k").head(20);
        SpatialOps ops = SpatialOps.of(Backend.JAVA_SCALAR);
        for (Distortion dist : Distortion.values()) {
            Dataset a = dist.apply(d, 7, ops), b = dist.apply(d, 7, ops), c = dist.apply(d, 8, ops);
            assertEquals(dist.size(), a.h());
            assertArrayEquals(a.images(), b.images(), dist + " is not reproducible");
            assertArrayEquals(d.labels(), a.labels());
            if (dist != Distortion.NONE) {
                assertTrue(!java.util.Arrays.equals(a.images(), c.images()), dist + " ignores the seed");
            } else {
                assertArrayEquals(d.images(), a.images(), 1e-6f, "NONE must keep the images");
            }
            double inkIn = 0, inkOut = 0;
            for (float v : d.images()) inkIn += v;
            for (float v : a.images()) inkOut += v;
            for (float v : a.images()) assertTrue(v >= 0 && v <= 1, dist + " made a pixel of " + v);
            assertTrue(inkOut > 0.3 * inkIn, dist + " lost the object: ink " + inkOut + " of " + inkIn);
        }
    }
}

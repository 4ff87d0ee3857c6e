package io.github.stn4j.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST (gzipped or not): {@code train-images-idx3-ubyte[.gz]},
 * {@code train-labels-idx1-ubyte[.gz]}, {@code t10k-...}. Pixels become floats in [0, 1].
 */
public final class Idx {
    private Idx() {}

    /**
     * Where the command line's jar carries the Fashion-MNIST subset of cli/src/demo/fashion-mnist-subset (5,000
     * training and 1,000 test images, gzipped, with their MIT notice), so that train and demo run from any folder.
     */
    static final String BUNDLED = "/io/github/stn4j/data/fashion-mnist-subset/";

    /** Opens one IDX file by its name without {@code .gz}. */
    private interface Source {
        InputStream open(String name) throws IOException;
    }

    /** The training set ("train") or the test set ("t10k") in {@code dir}. */
    public static Dataset load(Path dir, String prefix) throws IOException {
        return read(name -> {
            Path plain = dir.resolve(name), gz = dir.resolve(name + ".gz");
            if (Files.exists(gz)) return new GZIPInputStream(Files.newInputStream(gz), 1 << 16);
            if (Files.exists(plain)) return Files.newInputStream(plain);
            throw new IOException("neither " + gz + " nor " + plain + " exists");
        }, prefix);
    }

    /** The training set ("train") or the test set ("t10k") of the Fashion-MNIST subset inside the jar. */
    public static Dataset loadBundled(String prefix) throws IOException {
        return read(name -> {
            InputStream in = Idx.class.getResourceAsStream(BUNDLED + name + ".gz");
            if (in == null) {
                throw new IOException("the bundled Fashion-MNIST subset lacks " + name + ".gz (a jar built without"
                        + " cli/src/demo/fashion-mnist-subset?)");
            }
            return new GZIPInputStream(in, 1 << 16);
        }, prefix);
    }

    private static Dataset read(Source source, String prefix) throws IOException {
        float[] images;
        int h, w;
        try (DataInputStream in = open(source, prefix + "-images-idx3-ubyte")) {
            int magic = in.readInt();
            if (magic != 0x00000803) throw new IOException(prefix + " images: bad IDX magic " + Integer.toHexString(magic));
            int n = in.readInt();
            h = in.readInt();
            w = in.readInt();
            // a corrupt header must be an IOException, not an overflow or a huge allocation
            if (n < 0 || h <= 0 || w <= 0 || (long) n * h * w > Integer.MAX_VALUE - 8) {
                throw new IOException(prefix + " images: bad IDX header (" + n + " images of " + h + "x" + w + ")");
            }
            byte[] raw = in.readNBytes(n * h * w);
            if (raw.length != n * h * w) throw new IOException(prefix + " images: file is truncated");
            images = new float[raw.length];
            for (int i = 0; i < raw.length; i++) images[i] = (raw[i] & 0xff) / 255f;
        }
        int[] labels;
        try (DataInputStream in = open(source, prefix + "-labels-idx1-ubyte")) {
            int magic = in.readInt();
            if (magic != 0x00000801) throw new IOException(prefix + " labels: bad IDX magic " + Integer.toHexString(magic));
            int n = in.readInt();
            if (n != images.length / (h * w)) {
                throw new IOException(prefix + " labels: " + n + " labels for " + images.length / (h * w) + " images");
            }
            byte[] raw = in.readNBytes(n);
            if (raw.length != n) throw new IOException(prefix + " labels: file is truncated");
            labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = raw[i] & 0xff;
        }
        return new Dataset(images, labels, h, w);
    }

    private static DataInputStream open(Source source, String name) throws IOException {
        return new DataInputStream(new BufferedInputStream(source.open(name), 1 << 16));
    }
}

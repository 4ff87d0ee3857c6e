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

    /** The training set ("train") or the test set ("t10k") in {@code dir}. */
    public static Dataset load(Path dir, String prefix) throws IOException {
        float[][] images = new float[1][];
        int[] hw = new int[2];
        try (DataInputStream in = open(dir, prefix + "-images-idx3-ubyte")) {
            int magic = in.readInt();
            if (magic != 0x00000803) throw new IOException(prefix + " images: bad IDX magic " + Integer.toHexString(magic));
            int n = in.readInt();
            hw[0] = in.readInt();
            hw[1] = in.readInt();
            byte[] raw = in.readNBytes(Math.multiplyExact(n, hw[0] * hw[1]));
            if (raw.length != n * hw[0] * hw[1]) throw new IOException(prefix + " images: file is truncated");
            images[0] = new float[raw.length];
            for (int i = 0; i < raw.length; i++) images[0][i] = (raw[i] & 0xff) / 255f;
        }
        int[] labels;
        try (DataInputStream in = open(dir, prefix + "-labels-idx1-ubyte")) {
            int magic = in.readInt();
            if (magic != 0x00000801) throw new IOException(prefix + " labels: bad IDX magic " + Integer.toHexString(magic));
            int n = in.readInt();
            byte[] raw = in.readNBytes(n);
            if (raw.length != n) throw new IOException(prefix + " labels: file is truncated");
            labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = raw[i] & 0xff;
        }
        return new Dataset(images[0], labels, hw[0], hw[1]);
    }

    private static DataInputStream open(Path dir, String name) throws IOException {
        Path plain = dir.resolve(name), gz = dir.resolve(name + ".gz");
        InputStream in;
        if (Files.exists(gz)) in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16);
        else if (Files.exists(plain)) in = Files.newInputStream(plain);
        else throw new IOException("neither " + gz + " nor " + plain + " exists");
        return new DataInputStream(new BufferedInputStream(in, 1 << 16));
    }
}

package io.github.stn4j.nn;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Saves and loads a layer's parameters: a small binary file ("STN4J-PARAMS", version, then per parameter its shape
 * and float values, big-endian). Loading checks that the module has the same parameters, in order and shape.
 */
public final class Checkpoint {
    private static final String MAGIC = "STN4J-PARAMS";
    private static final int VERSION = 1;

    private Checkpoint() {}

    /**
     * Writes the layer's parameters to a file, through a temporary file moved into place, so the file is never left
     * half-written.
     *
     * @param layer the layer (or network) whose {@link Layer#parameters()} are saved
     * @param file the checkpoint file; replaced if it exists
     * @throws IOException if the file cannot be written
     */
    public static void save(Layer layer, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeUTF(MAGIC);
            out.writeInt(VERSION);
            List<Var> params = layer.parameters();
            out.writeInt(params.size());
            for (Var p : params) {
                out.writeInt(p.shape.length);
                for (long d : p.shape) out.writeLong(d);
                for (float v : p.data) out.writeFloat(v);
            }
        }
        // never leave a half-written checkpoint under the real name
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads a checkpoint into the layer's parameters. The whole file is read and checked before any parameter is
     * overwritten.
     *
     * @param layer the layer (or network) whose {@link Layer#parameters()} receive the values
     * @param file a file written by {@link #save(Layer, Path)}
     * @throws IOException if the file cannot be read, is not a checkpoint of this version, or its parameters differ
     *         from the layer's in count or shape
     */
    public static void load(Layer layer, Path file) throws IOException {
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (!MAGIC.equals(in.readUTF()) || in.readInt() != VERSION) {
                throw new IOException(file + " is not an stn4j checkpoint (version " + VERSION + ")");
            }
            List<Var> params = layer.parameters();
            int count = in.readInt();
            if (count != params.size()) {
                throw new IOException(file + " holds " + count + " parameters, the model has " + params.size());
            }
            float[][] values = new float[count][];
            for (int i = 0; i < count; i++) {
                long[] shape = new long[in.readInt()];
                for (int d = 0; d < shape.length; d++) shape[d] = in.readLong();
                if (!Arrays.equals(shape, params.get(i).shape)) {
                    throw new IOException(file + ": parameter " + i + " has shape " + Arrays.toString(shape)
                            + ", the model's is " + Arrays.toString(params.get(i).shape));
                }
                values[i] = new float[params.get(i).data.length];
                for (int k = 0; k < values[i].length; k++) values[i][k] = in.readFloat();
            }
            // only now, after the whole file was read and checked, overwrite the model
            for (int i = 0; i < count; i++) System.arraycopy(values[i], 0, params.get(i).data, 0, values[i].length);
        }
    }
}

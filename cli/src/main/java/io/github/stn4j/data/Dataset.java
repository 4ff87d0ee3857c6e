package io.github.stn4j.data;

import java.util.Arrays;

/**
 * Grey-scale images with labels: images[n * h * w] in [0, 1], row-major, one per label.
 */
public record Dataset(float[] images, int[] labels, int h, int w) {
    public Dataset {
        if ((long) labels.length * h * w != images.length) {
            throw new IllegalArgumentException(labels.length + " labels but " + images.length + " pixels for "
                    + h + "x" + w + " images");
        }
    }

    public int size() {
        return labels.length;
    }

    /** The first {@code n} examples (all if n exceeds the size). */
    public Dataset head(int n) {
        int k = Math.min(n, size());
        return new Dataset(Arrays.copyOf(images, k * h * w), Arrays.copyOf(labels, k), h, w);
    }

    /** Examples at the given indices, in that order. */
    public Dataset select(int[] idx) {
        float[] im = new float[idx.length * h * w];
        int[] lb = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(images, idx[i] * h * w, im, i * h * w, h * w);
            lb[i] = labels[idx[i]];
        }
        return new Dataset(im, lb, h, w);
    }
}

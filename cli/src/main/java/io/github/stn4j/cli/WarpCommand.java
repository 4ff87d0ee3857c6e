package io.github.stn4j.cli;

import io.github.stn4j.Backend;
import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import io.github.stn4j.data.Distortion;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Warps an image with an affine transform: builds the sampling grid with affineGrid and reads the image through it
 * with gridSample, exactly the grid generator and sampler of a Spatial Transformer.
 */
@Command(name = "warp", description = {
        "Warp a PNG/JPEG image with an affine transform.",
        "Give theta (6 numbers: the output-to-input map in normalised coordinates, as torch's affine_grid takes it),",
        "or describe the motion of the picture with --rotate/--scale/--shift-x/--shift-y."})
final class WarpCommand implements Callable<Integer> {
    @Option(names = {"-i", "--input"}, required = true, description = "input image (PNG, JPEG, ...)")
    File input;

    @Option(names = {"-o", "--output"}, required = true, description = "output image; format from the extension"
            + " (png, jpg, bmp)")
    File output;

    @Option(names = "--theta", split = ",", arity = "1", paramLabel = "t00,t01,t02,t10,t11,t12",
            description = "theta [2x3] row by row; overrides --rotate/--scale/--shift-*")
    float[] theta;

    @Option(names = "--rotate", defaultValue = "0", description = "rotate the picture by DEG degrees counter-clockwise"
            + " about its centre (default ${DEFAULT-VALUE})", paramLabel = "DEG")
    double rotate;

    @Option(names = "--scale", defaultValue = "1", description = "magnify the picture by S (default ${DEFAULT-VALUE})",
            paramLabel = "S")
    double scale;

    @Option(names = "--shift-x", defaultValue = "0", description = "move the picture right by a fraction of the"
            + " output width (default ${DEFAULT-VALUE})")
    double shiftX;

    @Option(names = "--shift-y", defaultValue = "0", description = "move the picture down by a fraction of the output"
            + " height (default ${DEFAULT-VALUE})")
    double shiftY;

    @Option(names = "--size", paramLabel = "WxH", description = "output size (default: the input's)")
    String size;

    @Option(names = "--interpolation", defaultValue = "BILINEAR", description = "one of ${COMPLETION-CANDIDATES}"
            + " (default ${DEFAULT-VALUE})")
    Interpolation interpolation;

    @Option(names = "--padding", defaultValue = "ZEROS", description = "one of ${COMPLETION-CANDIDATES}"
            + " (default ${DEFAULT-VALUE})")
    Padding padding;

    @Option(names = "--align-corners", description = "align_corners=True semantics (default false)")
    boolean alignCorners;

    @Option(names = "--backend", description = "one of ${COMPLETION-CANDIDATES} (default: the best available)")
    Backend backend;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        BufferedImage img = ImageIO.read(input);
        if (img == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + input
                    + " as an image (supported: " + String.join(", ", ImageIO.getReaderFormatNames()) + ")");
        }
        int inW = img.getWidth(), inH = img.getHeight();
        int outW = inW, outH = inH;
        if (size != null) {
            String[] wh = size.toLowerCase(Locale.ROOT).split("x");
            if (wh.length != 2) throw new CommandLine.ParameterException(spec.commandLine(), "--size must be WxH");
            outW = Integer.parseInt(wh[0].strip());
            outH = Integer.parseInt(wh[1].strip());
        }
        float[] t = theta != null ? theta : thetaFor(rotate, scale, shiftX, shiftY, inW, inH, outW, outH);
        if (t.length != 6) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--theta needs 6 numbers, got " + t.length);
        }
        SpatialOps ops = backend == null ? SpatialOps.best() : SpatialOps.of(backend);
        long start = System.nanoTime();
        try (Tensor in = toTensor(img);
             Tensor th = Tensor.of(t, 1, 2, 3);
             Tensor grid = ops.affineGrid(th, new long[] {1, 3, outH, outW}, alignCorners);
             Tensor out = ops.gridSample(in, grid, interpolation, padding, alignCorners)) {
            long micros = (System.nanoTime() - start) / 1000;
            String format = formatOf(output);
            if (!ImageIO.write(toImage(out, outW, outH), format, output)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no image writer for format " + format);
            }
            System.out.printf(Locale.ROOT, "wrote %s (%dx%d) from %s (%dx%d): theta [%.4f %.4f %.4f; %.4f %.4f %.4f],"
                            + " %s, %s, align_corners=%s, backend %s, %d us%n", output, outW, outH, input, inW, inH,
                    t[0], t[1], t[2], t[3], t[4], t[5], interpolation, padding, alignCorners, ops.backend(), micros);
        }
        return 0;
    }

    /** Theta for "rotate by deg counter-clockwise, magnify, then shift" (see {@link Distortion#theta}). */
    static float[] thetaFor(double deg, double s, double tx, double ty, int inW, int inH, int outW, int outH) {
        return Distortion.theta(deg, s, tx, ty, inW, inH, outW, outH);
    }

    static String formatOf(File f) {
        String name = f.getName().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "png" : name.substring(dot + 1);
        return ext.equals("jpeg") ? "jpg" : ext;
    }

    /** RGB image -> [1, 3, H, W] in [0, 1]. */
    static Tensor toTensor(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] v = new float[3 * w * h];
        int plane = w * h;
        for (int i = 0; i < plane; i++) {
            v[i] = ((rgb[i] >> 16) & 0xff) / 255f;
            v[plane + i] = ((rgb[i] >> 8) & 0xff) / 255f;
            v[2 * plane + i] = (rgb[i] & 0xff) / 255f;
        }
        return Tensor.of(v, 1, 3, h, w);
    }

    static BufferedImage toImage(Tensor t, int w, int h) {
        float[] v = t.toArray();
        int plane = w * h;
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            rgb[i] = 0xff000000 | byteOf(v[i]) << 16 | byteOf(v[plane + i]) << 8 | byteOf(v[2 * plane + i]);
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, h, rgb, 0, w);
        return img;
    }

    private static int byteOf(float f) {
        return Math.round(Math.max(0f, Math.min(1f, f)) * 255f);
    }
}

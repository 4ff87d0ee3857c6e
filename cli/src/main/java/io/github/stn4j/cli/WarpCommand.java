package io.github.stn4j.cli;

import io.github.stn4j.Backend;
import io.github.stn4j.Interpolation;
import io.github.stn4j.Layout;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Stn4j;
import io.github.stn4j.Tensor;
import io.github.stn4j.data.Distortion;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Warps an image with an affine transform: builds the sampling grid with affineGrid and reads the image through it
 * with gridSample, exactly the grid generator and sampler of a Spatial Transformer.
 *
 * <p>Every argument, path and size is checked before anything large is allocated, and a mistake is a
 * {@link UsageError}: one line that says what is wrong and how to fix it.
 */
@Command(name = "warp", mixinStandardHelpOptions = true, description = {
        "Warp a PNG/JPEG image with an affine transform.",
        "Give theta (6 numbers: the output-to-input map in normalised coordinates, as torch's affine_grid takes it),",
        "or describe the motion of the picture with --rotate/--scale/--shift-x/--shift-y."})
final class WarpCommand implements Callable<Integer> {
    /** Largest width or height, of the input and of the output: GIF's limit, and far beyond a photo's. */
    static final int MAX_SIDE = 65_535;
    /** JPEG's own limit, lower: checked first, as its writer would fail only after the warp. */
    static final int MAX_JPEG_SIDE = 65_500;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE", description = "input image (PNG, JPEG,"
            + " BMP, GIF, TIFF)")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "output image, in an"
            + " existing folder; the format follows the extension (png, jpg, bmp, gif, tif; png without one)")
    Path output;

    @Option(names = "--theta", split = ",", arity = "1", paramLabel = "t00,t01,t02,t10,t11,t12",
            description = "theta [2x3] row by row; overrides --rotate/--scale/--shift-*")
    float[] theta;

    @Option(names = "--rotate", defaultValue = "0", description = "rotate the picture by DEG degrees counter-clockwise"
            + " about its centre (default ${DEFAULT-VALUE})", paramLabel = "DEG")
    double rotate;

    @Option(names = "--scale", defaultValue = "1", description = "magnify the picture by S, not 0 (default"
            + " ${DEFAULT-VALUE})", paramLabel = "S")
    double scale;

    @Option(names = "--shift-x", defaultValue = "0", description = "move the picture right by a fraction of the"
            + " output width (default ${DEFAULT-VALUE})")
    double shiftX;

    @Option(names = "--shift-y", defaultValue = "0", description = "move the picture down by a fraction of the output"
            + " height (default ${DEFAULT-VALUE})")
    double shiftY;

    @Option(names = "--size", paramLabel = "WxH", description = "output size, each side from 1 to " + MAX_SIDE
            + " (default: the input's)")
    String size;

    @Option(names = "--interpolation", defaultValue = "BILINEAR", description = "one of ${COMPLETION-CANDIDATES}"
            + " (default ${DEFAULT-VALUE})")
    Interpolation interpolation;

    @Option(names = "--padding", defaultValue = "ZEROS", description = "one of ${COMPLETION-CANDIDATES}"
            + " (default ${DEFAULT-VALUE})")
    Padding padding;

    @Option(names = "--align-corners", description = "align_corners=True semantics (default false)")
    boolean alignCorners;

    @Option(names = "--backend", description = "one of ${COMPLETION-CANDIDATES} (default: the best available;"
            + " VECTOR_API needs java --add-modules jdk.incubator.vector)")
    Backend backend;

    @Override
    public Integer call() throws IOException {
        // arguments first (no file is touched for a typo), then the paths, the backend, the input's header
        if (theta != null) checkTheta(theta);
        checkFinite("--rotate", rotate);
        checkFinite("--shift-x", shiftX);
        checkFinite("--shift-y", shiftY);
        checkFinite("--scale", scale);
        if (scale == 0) throw new UsageError("--scale 0 shrinks the picture to a point; give a non-zero factor");
        int[] wh = size == null ? null : parseSize(size);
        String format = checkOutput(output);
        checkInput(input);
        SpatialOps ops = Main.spatialOps(backend);

        BufferedImage img = readImage(input, wh, format);
        int inW = img.getWidth(), inH = img.getHeight();
        int outW = wh != null ? wh[0] : inW, outH = wh != null ? wh[1] : inH;
        boolean alpha = img.getColorModel().hasAlpha(), keepAlpha = alpha && writesAlpha(format);
        float[] t = theta != null ? theta : Distortion.theta(rotate, scale, shiftX, shiftY, inW, inH, outW, outH);
        BufferedImage result;
        long micros, start = System.nanoTime();
        try (Tensor in = toTensor(img, alpha);
             Tensor th = Tensor.of(t, 1, 2, 3);
             Tensor grid = ops.affineGrid(th, new long[] {1, in.size(3), outH, outW}, alignCorners);
             Tensor out = ops.gridSample(in, grid, interpolation, padding, alignCorners, Layout.NHWC)) {
            // the warp itself, not the conversions around it; one call in a fresh JVM, so mostly class loading and
            // linking the native calls ("cold"): bench/ measures the kernels
            micros = (System.nanoTime() - start) / 1000;
            result = toImage(out, outW, outH, alpha, keepAlpha);
        }
        write(result, format, output);
        String inKind = alpha ? "RGBA" : "RGB", outKind = keepAlpha ? "RGBA" : "RGB";
        System.out.printf(Locale.ROOT, "wrote %s (%dx%d %s) from %s (%dx%d %s): theta [%.4f %.4f %.4f; %.4f %.4f"
                        + " %.4f], %s, %s, align_corners=%s, backend %s, %.1f ms cold%s%n", output, outW, outH,
                outKind, input, inW, inH, inKind, t[0], t[1], t[2], t[3], t[4], t[5], interpolation, padding,
                alignCorners, ops.backend(), micros / 1000.0, alpha && !keepAlpha ? "; alpha dropped: ." + format
                        + " stores none, so transparent parts are black (write .png or .tif to keep it)" : "");
        return 0;
    }

    static void checkTheta(float[] t) {
        if (t.length != 6) {
            throw new UsageError("--theta needs 6 numbers, t00,t01,t02,t10,t11,t12 (the 2x3 matrix row by row); got "
                    + t.length);
        }
        for (float v : t) {
            if (!Float.isFinite(v)) throw new UsageError("--theta needs finite numbers; got " + Arrays.toString(t));
        }
    }

    static void checkFinite(String option, double v) {
        if (!Double.isFinite(v)) throw new UsageError(option + " needs a finite number; got " + v);
    }

    /** {@code WxH} as {width, height}, each from 1 to {@link #MAX_SIDE}. */
    static int[] parseSize(String s) {
        String[] parts = s.strip().toLowerCase(Locale.ROOT).split("x", -1);
        if (parts.length != 2) throw new UsageError("--size takes WxH, e.g. 640x480; got '" + s + "'");
        int[] wh = new int[2];
        for (int i = 0; i < 2; i++) {
            long v;
            try {
                v = Long.parseLong(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UsageError("--size takes WxH with whole numbers, e.g. 640x480; got '" + s + "'");
            }
            if (v < 1 || v > MAX_SIDE) {
                throw new UsageError("--size " + s.strip() + " is out of range: width and height must each be from 1"
                        + " to " + MAX_SIDE);
            }
            wh[i] = (int) v;
        }
        return wh;
    }

    /** The output's format name (from its extension), after checking that it can be written where it is asked. */
    static String checkOutput(Path out) {
        if (Files.isDirectory(out)) {
            throw new UsageError("output " + out + " is a folder; -o/--output takes a file name, e.g. "
                    + out.resolve("warped.png"));
        }
        Path folder = out.toAbsolutePath().getParent();
        String shown = out.getParent() != null ? out.getParent().toString() : String.valueOf(folder);
        if (folder == null || !Files.isDirectory(folder)) {
            throw new UsageError("the output folder " + shown + " does not exist; create it first (mkdir -p " + shown
                    + ") or write into an existing folder");
        }
        if (!Files.isWritable(folder)) {
            throw new UsageError("the output folder " + shown + " is not writable; choose another -o/--output");
        }
        String format = formatOf(out);
        if (!ImageIO.getImageWritersByFormatName(format).hasNext()) {
            throw new UsageError("cannot write ." + format + " images; end -o/--output with one of "
                    + suffixes(ImageIO.getWriterFileSuffixes()));
        }
        return format;
    }

    static void checkInput(Path in) {
        if (Files.isDirectory(in)) {
            throw new UsageError("input " + in + " is a folder; -i/--input takes an image file");
        }
        if (!Files.exists(in)) {
            throw new UsageError("input file " + in + " does not exist; check the path given to -i/--input");
        }
        if (!Files.isReadable(in)) {
            throw new UsageError("input file " + in + " is not readable; check its permissions");
        }
    }

    /**
     * Decodes the input after checking, from its header, that the input and the output fit in this JVM: a small
     * file can declare a huge image, and a huge --size would otherwise end in an OutOfMemoryError mid-way.
     */
    static BufferedImage readImage(Path file, int[] outSize, String outFormat) throws IOException {
        try (ImageInputStream stream = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = stream == null ? null : ImageIO.getImageReaders(stream);
            if (readers == null || !readers.hasNext()) {
                throw new UsageError(file + " is not an image this command can read; give -i/--input one of "
                        + suffixes(ImageIO.getReaderFileSuffixes()));
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if (w > MAX_SIDE || h > MAX_SIDE) {
                    throw new UsageError("input " + file + " is " + w + "x" + h + "; this command reads images up to "
                            + MAX_SIDE + " pixels a side");
                }
                int outW = outSize != null ? outSize[0] : w, outH = outSize != null ? outSize[1] : h;
                if (outFormat.equals("jpg") && Math.max(outW, outH) > MAX_JPEG_SIDE) {
                    throw new UsageError("JPEG stores at most " + MAX_JPEG_SIDE + " pixels a side, the output would be "
                            + outW + "x" + outH + "; choose a smaller --size or a .png output");
                }
                String what = "a " + w + "x" + h + " input warped to " + outW + "x" + outH;
                int channels = channelsOf(reader.getImageTypes(0));
                checkFits(what, (long) w * h, (long) outW * outH, channels, Runtime.getRuntime().maxMemory(),
                        nativeLimit());
                BufferedImage img = reader.read(0);
                if (img.getColorModel().hasAlpha() && channels < 4) { // the header did not tell: again, with alpha
                    checkFits(what, (long) w * h, (long) outW * outH, 4, Runtime.getRuntime().maxMemory(),
                            nativeLimit());
                }
                return img;
            } catch (IOException | RuntimeException e) {
                if (e instanceof UsageError u) throw u;
                // decoders report corrupt or truncated files with IIOException (or EOFException), some with runtime
                // exceptions; the file exists and is readable, so it is its content
                throw new UsageError("cannot decode " + file + " (" + (e.getMessage() != null ? e.getMessage() : e)
                        + "); is it a complete image file?");
            } finally {
                reader.dispose();
            }
        }
    }

    /** Channels of the warped tensor, from the reader's first image type: red, green, blue, and alpha if it has it. */
    private static int channelsOf(Iterator<ImageTypeSpecifier> types) {
        return types.hasNext() && types.next().getColorModel().hasAlpha() ? 4 : 3;
    }

    // Memory per pixel, in bytes, for a warp with c channels (refused beforehand when it cannot fit):
    //   input  heap:   decoded image (up to 4), its ARGB ints (4), the floats (4c); native pool: the tensor (4c)
    //   output native: grid (2 floats: 8), result (4c); heap: its float copy (4c), ARGB ints (4), the image (4)
    static long heapBytes(long inPixels, long outPixels, int c) {
        return inPixels * (8 + 4L * c) + outPixels * (8 + 4L * c);
    }

    static long nativeBytes(long inPixels, long outPixels, int c) {
        return inPixels * 4L * c + outPixels * (8 + 4L * c);
    }

    /** The native pool's limit; a malformed -Dstn4j.maxNativeMemory is the user's to fix. */
    private static long nativeLimit() {
        try {
            return Stn4j.nativeMemory().limitBytes();
        } catch (IllegalStateException e) {
            throw new UsageError(e.getMessage());
        }
    }

    /**
     * Refuses, with the size and the fix, a warp that Java arrays cannot index or that needs more memory than this
     * JVM may use ({@code maxHeap}, and {@code nativeLimit} for stn4j's native pool).
     */
    static void checkFits(String what, long inPixels, long outPixels, int c, long maxHeap, long nativeLimit) {
        long maxArray = Integer.MAX_VALUE - 8; // the largest float[] or int[] a JVM allocates
        if (Math.max(inPixels, outPixels) * c > maxArray) {
            throw new UsageError(what + " has more pixels than a Java array holds (" + maxArray / c + " at most with "
                    + c + " channels); choose a smaller --size or a smaller input");
        }
        long heap = heapBytes(inPixels, outPixels, c), offHeap = nativeBytes(inPixels, outPixels, c);
        if (heap > maxHeap) {
            throw new UsageError(what + " needs about " + mib(heap) + " of Java heap but this JVM may use "
                    + mib(maxHeap) + "; choose a smaller --size or give java more heap (-Xmx" + gibCeil(heap * 5 / 4)
                    + "g, e.g. JAVA_OPTS=-Xmx" + gibCeil(heap * 5 / 4) + "g ./stn4j ...)");
        }
        if (offHeap > nativeLimit) {
            throw new UsageError(what + " needs about " + mib(offHeap) + " of native memory but stn4j may use "
                    + mib(nativeLimit) + "; choose a smaller --size or raise the limit (-Dstn4j.maxNativeMemory, or"
                    + " -Xmx, which it follows by default)");
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,d MiB", (bytes + (1 << 20) - 1) >> 20);
    }

    private static long gibCeil(long bytes) {
        return (bytes + (1L << 30) - 1) >> 30;
    }

    static String formatOf(Path f) {
        String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "png" : name.substring(dot + 1);
        return ext.equals("jpeg") ? "jpg" : ext;
    }

    private static String suffixes(String[] names) {
        TreeSet<String> s = new TreeSet<>();
        for (String n : names) s.add("." + n.toLowerCase(Locale.ROOT));
        return String.join(" ", s);
    }

    /**
     * Writes through a temporary file in the same folder, renamed over the target at the end: a failed write leaves
     * neither a truncated image nor a missing old one. (Files.createTempFile would give the result mode 0600.)
     */
    static void write(BufferedImage img, String format, Path out) throws IOException {
        Path folder = out.toAbsolutePath().getParent();
        Path tmp = folder.resolve("." + out.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                if (!ImageIO.write(img, format, os)) {
                    throw new IOException("no " + format + " writer takes a " + img.getColorModel() + " image");
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether a writer of {@code format} stores alpha (PNG, TIFF, GIF's one transparent colour; not JPEG). */
    static boolean writesAlpha(String format) {
        ImageTypeSpecifier argb = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_INT_ARGB);
        for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName(format); it.hasNext(); ) {
            ImageWriter writer = it.next();
            try {
                if (writer.getOriginatingProvider().canEncodeImage(argb)) return true;
            } finally {
                writer.dispose();
            }
        }
        return false;
    }

    /**
     * Image -> [1, H, W, C] (channels last, {@link Layout#NHWC}: each packed pixel's channels side by side, as the
     * image stores them, so no planar copy) in [0, 1]: C = 3 (red, green, blue), or 4 with alpha as the fourth
     * channel. With alpha the colours are premultiplied by it, so that interpolation weighs each colour by its
     * opacity: the hidden colour of a transparent pixel must not bleed into its visible neighbours (and zeros padding
     * is transparent black).
     */
    static Tensor toTensor(BufferedImage img, boolean alpha) {
        int w = img.getWidth(), h = img.getHeight(), plane = w * h, c = alpha ? 4 : 3;
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w); // sRGB, not premultiplied, whatever the image's own model
        float[] v = new float[c * plane];
        for (int i = 0, o = 0; i < plane; i++, o += c) {
            float a = alpha ? (argb[i] >>> 24) / 255f : 1f;
            v[o] = ((argb[i] >> 16) & 0xff) / 255f * a;
            v[o + 1] = ((argb[i] >> 8) & 0xff) / 255f * a;
            v[o + 2] = (argb[i] & 0xff) / 255f * a;
            if (alpha) v[o + 3] = a;
        }
        return Tensor.of(v, 1, h, w, c);
    }

    /**
     * [1, H, W, C] -> image. With alpha (premultiplied colours, see {@link #toTensor}): an ARGB image if
     * {@code keepAlpha}, the colours divided back by alpha; otherwise the colours as they are, which is the picture
     * composited over black.
     */
    static BufferedImage toImage(Tensor t, int w, int h, boolean alpha, boolean keepAlpha) {
        float[] v = t.toArray();
        int plane = w * h, c = (int) t.size(3);
        int[] argb = new int[plane];
        for (int i = 0, o = 0; i < plane; i++, o += c) {
            float r = v[o], g = v[o + 1], b = v[o + 2];
            int a = 255;
            if (alpha && keepAlpha) {
                float av = v[o + 3];
                a = byteOf(av);
                float inv = a == 0 ? 0f : 1f / av; // a fully transparent pixel's colour is irrelevant: 0
                r *= inv;
                g *= inv;
                b *= inv;
            }
            argb[i] = a << 24 | byteOf(r) << 16 | byteOf(g) << 8 | byteOf(b);
        }
        BufferedImage img = new BufferedImage(w, h, keepAlpha ? BufferedImage.TYPE_INT_ARGB
                : BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, h, argb, 0, w);
        return img;
    }

    private static int byteOf(float f) {
        return Math.round(Math.max(0f, Math.min(1f, f)) * 255f);
    }
}

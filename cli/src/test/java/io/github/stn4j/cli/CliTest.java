package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.nn.Checkpoint;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CliTest {
    @Test
    void trainEndsWithTheTestErrorAndWritesPictures(@TempDir Path dir) throws Exception {
        String out = Cli.ok("train", "--model", "st-fcn", "--distortion", "rts", "--data",
                "src/demo/fashion-mnist-subset", "--epochs", "2", "--train-limit", "300", "--quiet", "--out",
                dir.toString());
        List<String> lines = out.lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("test error: \\d+\\.\\d\\d%"), lines.get(lines.size() - 1));
        for (String f : new String[] {"model.bin", "metrics.csv", "curve.png", "rectified.png"}) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertEquals(3, Files.readAllLines(dir.resolve("metrics.csv")).size());
    }

    /**
     * Each --transform (any case) trains st-cnn with that transformer: the header names it, the parameter count is the
     * affine one plus the wider regression layer, the picture is written, and model.bin loads into the same model
     * and into no other transform's.
     */
    @ParameterizedTest
    @CsvSource({"aff, aff, 0", "PROJ, proj, 66", "Tps, tps(4), 858"})
    void trainTakesEachTransform(String given, String shown, int extra, @TempDir Path dir) throws Exception {
        String out = Cli.ok("train", "--model", "st-cnn", "--transform", given, "--distortion", "e", "--data",
                "src/demo/fashion-mnist-subset", "--epochs", "1", "--train-limit", "128", "--quiet", "--out",
                dir.toString());
        long affine = Models.build("st-cnn", 28, 1).net().parameterCount();
        assertTrue(out.startsWith("st-cnn (" + shown + " transform) with E distortion")
                && out.contains(String.format(java.util.Locale.ROOT, "; %,d parameters;", affine + extra)), out);
        assertTrue(out.strip().lines().reduce((a, b) -> b).orElseThrow().matches("test error: \\d+\\.\\d\\d%"), out);
        assertTrue(Files.size(dir.resolve("rectified.png")) > 0);
        TrainCommand.TransformName name = TrainCommand.TransformName.valueOf(given.toUpperCase(java.util.Locale.ROOT));
        Checkpoint.load(Models.build("st-cnn", 28, 7, name.transform()).net(), dir.resolve("model.bin"));
        for (TrainCommand.TransformName other : TrainCommand.TransformName.values()) {
            if (other == name) continue;
            assertThrows(IOException.class, () -> Checkpoint.load(Models.build("st-cnn", 28, 7, other.transform())
                    .net(), dir.resolve("model.bin")), other + " loaded a " + name + " checkpoint");
        }
    }

    /** A plain model has no transformer: --transform is accepted with a note, so one flag can go to every model. */
    @Test
    void aPlainModelIgnoresTheTransformWithANote(@TempDir Path dir) {
        String out = Cli.ok("train", "--model", "cnn", "--transform", "tps", "--data", "src/demo/fashion-mnist-subset",
                "--epochs", "0", "--quiet", "--out", dir.toString());
        assertTrue(out.startsWith("note: cnn has no Spatial Transformer; --transform tps is ignored\ncnn with RTS"),
                out);
        String quiet = Cli.ok("train", "--model", "cnn", "--data", "src/demo/fashion-mnist-subset", "--epochs", "0",
                "--quiet", "--out", dir.toString());
        assertFalse(quiet.contains("note:"), "the default --transform is no reason for a note: " + quiet);
    }

    @Test
    void warpWritesAnImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("w.png");
        String out = Cli.ok("warp", "-i", "src/demo/testcard.png", "-o", png.toString(), "--rotate", "15",
                "--interpolation", "bicubic", "--padding", "reflection");
        assertTrue(out.contains("wrote"), out);
        var img = ImageIO.read(png.toFile());
        assertEquals(320, img.getWidth());
        assertEquals(240, img.getHeight());
        assertFalse(img.getColorModel().hasAlpha(), "an RGB input gives an RGB output");
    }

    /** An opaque red square on a transparent blue background, 40x40. */
    static Path rgbaPicture(Path dir) throws Exception {
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                boolean square = x >= 10 && x < 30 && y >= 10 && y < 30;
                img.setRGB(x, y, square ? 0xffff0000 : 0x000000ff);
            }
        }
        Path png = dir.resolve("rgba.png");
        ImageIO.write(img, "png", png.toFile());
        return png;
    }

    /**
     * Alpha is warped as a fourth channel and written: outside the square stays transparent, its middle opaque red,
     * and its anti-aliased edge (alpha between 0 and 255) is red too. Interpolating unpremultiplied colours would mix
     * the hidden blue of the transparent pixels into that edge.
     */
    @Test
    void warpKeepsAlpha(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("w.png");
        String log = Cli.ok("warp", "-i", rgbaPicture(dir).toString(), "-o", out.toString(), "--rotate", "30");
        assertTrue(log.contains("(40x40 RGBA) from") && !log.contains("alpha dropped"), log);
        BufferedImage img = ImageIO.read(out.toFile());
        assertTrue(img.getColorModel().hasAlpha());
        assertEquals(0, img.getRGB(0, 0) >>> 24, "a corner must stay transparent");
        assertEquals(0xffff0000, img.getRGB(20, 20), "the middle must stay opaque red");
        int edge = 0;
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                int p = img.getRGB(x, y), a = p >>> 24;
                if (a == 0 || a == 255) continue;
                edge++;
                assertTrue((p & 0xff) <= 1 && ((p >> 16) & 0xff) >= 254, String.format(
                        "edge pixel (%d, %d) = %08x: not the square's red", x, y, p));
            }
        }
        assertTrue(edge > 20, "a rotated square has an anti-aliased edge; found " + edge + " pixels");
    }

    /** A format without alpha (JPEG): the output says it dropped alpha; the picture is composited over black. */
    @Test
    void warpSaysWhenItDropsAlpha(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("w.jpg");
        String log = Cli.ok("warp", "-i", rgbaPicture(dir).toString(), "-o", out.toString());
        assertTrue(log.contains("(40x40 RGB) from") && log.contains("alpha dropped") && log.contains(".png"), log);
        BufferedImage img = ImageIO.read(out.toFile());
        assertFalse(img.getColorModel().hasAlpha());
        int corner = img.getRGB(2, 2);
        for (int shift : new int[] {16, 8, 0}) {
            assertTrue(((corner >> shift) & 0xff) < 16, String.format("transparent parts must be black, not their"
                    + " hidden blue: %06x", corner & 0xffffff));
        }
    }

    /** The other formats the warp writes, by extension. */
    @Test
    void warpWritesEveryFormat(@TempDir Path dir) throws Exception {
        for (String ext : new String[] {"png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff"}) {
            Path out = dir.resolve("w." + ext);
            Cli.ok("warp", "-i", Cli.TESTCARD.toString(), "-o", out.toString(), "--size", "64x48");
            BufferedImage img = ImageIO.read(out.toFile());
            assertEquals(64, img.getWidth(), ext);
            assertEquals(48, img.getHeight(), ext);
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "a temporary file was left");
        }
    }
}

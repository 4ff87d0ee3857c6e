package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void warpWritesAnImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("w.png");
        String out = Cli.ok("warp", "-i", "src/demo/testcard.png", "-o", png.toString(), "--rotate", "15",
                "--interpolation", "bicubic", "--padding", "reflection");
        assertTrue(out.contains("wrote"), out);
        var img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(320, img.getWidth());
        assertEquals(240, img.getHeight());
    }
}

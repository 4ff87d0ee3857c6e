package io.github.stn4j.cli;

import io.github.stn4j.data.Dataset;
import io.github.stn4j.nn.SpatialTransformer;
import io.github.stn4j.nn.Var;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/** The pictures the training command writes: inputs beside their rectified versions, and the training curve. */
final class Pictures {
    private Pictures() {}

    /**
     * A grid of {@code count} test inputs, each beside what the Spatial Transformer made of it (scaled up 3×); the ST
     * output is shown at the input's scale so that the correction (rotation, scale, translation, or the projective or
     * thin-plate-spline warp, whichever the transformer regresses) is visible.
     */
    static void rectified(SpatialTransformer st, Dataset test, int count, Path file) throws IOException {
        int n = Math.min(count, test.size()), s = test.h(), zoom = 3, cols = 4;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Dataset part = test.select(idx);
        Var out = st.forward(Var.constant(part.images(), n, 1, s, s));
        int oh = (int) out.size(2), ow = (int) out.size(3);
        int cellW = (s + ow + 6) * zoom, cellH = (Math.max(s, oh) + 4) * zoom, rows = (n + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * cellW, rows * cellH + 24, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(40, 40, 48));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString("input (" + s + "x" + s + ")  ->  Spatial Transformer (" + st.transform() + ") output (" + ow
                + "x" + oh + ")", 8, 17);
        for (int i = 0; i < n; i++) {
            int x0 = (i % cols) * cellW, y0 = (i / cols) * cellH + 24;
            paint(img, part.images(), i * s * s, s, s, x0 + zoom, y0 + zoom, zoom, new Color(255, 220, 160));
            paint(img, out.data(), i * oh * ow, oh, ow, x0 + (s + 4) * zoom, y0 + zoom, zoom, new Color(160, 220, 255));
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void paint(BufferedImage img, float[] v, int off, int h, int w, int x0, int y0, int zoom, Color tint) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float t = Math.max(0f, Math.min(1f, v[off + y * w + x]));
                int rgb = new Color((int) (tint.getRed() * t), (int) (tint.getGreen() * t), (int) (tint.getBlue() * t))
                        .getRGB();
                for (int a = 0; a < zoom; a++) for (int b = 0; b < zoom; b++) img.setRGB(x0 + x * zoom + b, y0 + y * zoom + a, rgb);
            }
        }
    }

    /** Loss and error per epoch (XChart). */
    static void curve(String title, List<Trainer.Epoch> epochs, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(420).title(title).xAxisTitle("epoch")
                .yAxisTitle("loss / error").build();
        double[] x = epochs.stream().mapToDouble(e -> e.epoch() + 1).toArray();
        chart.addSeries("training loss", x, epochs.stream().mapToDouble(Trainer.Epoch::loss).toArray())
                .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.addSeries("training error", x, epochs.stream().mapToDouble(Trainer.Epoch::trainError).toArray());
        chart.addSeries("test error", x, epochs.stream().mapToDouble(Trainer.Epoch::testError).toArray());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}

package io.github.stn4j.bench;

import io.github.stn4j.Interpolation;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * OpenCV 4.13 {@code remap} with float maps (forward only): every (sample, channel) plane of the same data, remapped
 * through the pixel coordinates of the same grid, zeros outside (BORDER_CONSTANT 0). OpenCV rounds map positions to
 * 1/32 pixel, so this is a speed peer, not a reference.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 2, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache"})
public class OpenCvBench {
    @Param({"BILINEAR"})
    public Interpolation mode;

    @Param({"imagenet"})
    public Shapes shape;

    @Param({"1"})
    public int threads;

    Mat[] planes, outs, mapX, mapY;

    @Setup(Level.Trial)
    public void setup() {
        opencv_core.setNumThreads(threads);
        float[] in = shape.input(), grid = shape.grid();
        int n = shape.n, c = shape.c, h = shape.h, w = shape.w;
        planes = new Mat[n * c];
        outs = new Mat[n * c];
        mapX = new Mat[n];
        mapY = new Mat[n];
        for (int s = 0; s < n; s++) {
            mapX[s] = new Mat(h, w, opencv_core.CV_32FC1);
            mapY[s] = new Mat(h, w, opencv_core.CV_32FC1);
            FloatIndexer ix = mapX[s].createIndexer(), iy = mapY[s].createIndexer();
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int g = ((s * h + i) * w + j) * 2;
                    // align_corners = false: pixel = ((g + 1) * size - 1) / 2
                    ix.put(i, j, ((grid[g] + 1) * w - 1) / 2);
                    iy.put(i, j, ((grid[g + 1] + 1) * h - 1) / 2);
                }
            }
            for (int ch = 0; ch < c; ch++) {
                Mat m = new Mat(h, w, opencv_core.CV_32FC1);
                FloatIndexer mi = m.createIndexer();
                for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) mi.put(i, j, in[((s * c + ch) * h + i) * w + j]);
                planes[s * c + ch] = m;
                outs[s * c + ch] = new Mat(h, w, opencv_core.CV_32FC1);
            }
        }
    }

    int inter() {
        return switch (mode) {
            case NEAREST -> opencv_imgproc.INTER_NEAREST;
            case BICUBIC -> opencv_imgproc.INTER_CUBIC;
            default -> opencv_imgproc.INTER_LINEAR;
        };
    }

    @Benchmark
    public Mat forward() {
        Scalar zero = new Scalar(0.0);
        for (int p = 0; p < planes.length; p++) {
            opencv_imgproc.remap(planes[p], outs[p], mapX[p / shape.c], mapY[p / shape.c], inter(),
                    opencv_core.BORDER_CONSTANT, zero);
        }
        return outs[0];
    }
}

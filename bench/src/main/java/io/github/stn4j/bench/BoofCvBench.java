package io.github.stn4j.bench;

import boofcv.alg.distort.ImageDistort;
import boofcv.alg.distort.PixelTransformAffine_F32;
import boofcv.factory.distort.FactoryDistort;
import boofcv.factory.interpolate.FactoryInterpolation;
import boofcv.struct.border.BorderType;
import boofcv.struct.image.GrayF32;
import georegression.struct.affine.Affine2D_F32;
import java.util.concurrent.TimeUnit;
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
 * BoofCV 1.2.2 (pure Java) bilinear affine warp of every (sample, channel) plane with the same transform, zeros
 * outside, single thread: the natural rival of the VECTOR_API and JAVA_SCALAR paths (forward only).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 2)
public class BoofCvBench {
    @Param({"imagenet"})
    public Shapes shape;

    GrayF32[] planes, outs;
    ImageDistort<GrayF32, GrayF32>[] distort;

    @SuppressWarnings("unchecked")
    @Setup(Level.Trial)
    public void setup() {
        float[] in = shape.input(), theta = shape.theta();
        int n = shape.n, c = shape.c, h = shape.h, w = shape.w;
        planes = new GrayF32[n * c];
        outs = new GrayF32[n * c];
        distort = new ImageDistort[n];
        for (int s = 0; s < n; s++) {
            // θ in normalised coordinates -> the output-to-input pixel map (align_corners = false)
            float[] t = java.util.Arrays.copyOfRange(theta, s * 6, s * 6 + 6);
            float a11 = t[0] * w / w, a12 = t[1] * h / w, a21 = t[3] * w / h, a22 = t[4] * h / h;
            // x_in = (w/2)(t0 xn + t1 yn + t2) + (w-1)/2 with xn = (2 x_out + 1)/w - 1
            float cx = (w - 1) / 2f, cy = (h - 1) / 2f;
            float tx = w / 2f * (t[0] * (1f / w - 1) + t[1] * (1f / h - 1) + t[2]) + cx;
            float ty = h / 2f * (t[3] * (1f / w - 1) + t[4] * (1f / h - 1) + t[5]) + cy;
            Affine2D_F32 model = new Affine2D_F32(a11, a12, a21, a22, tx, ty);
            distort[s] = FactoryDistort.distortSB(false, FactoryInterpolation.bilinearPixelS(GrayF32.class,
                    BorderType.ZERO), GrayF32.class);
            distort[s].setModel(new PixelTransformAffine_F32(model));
            for (int ch = 0; ch < c; ch++) {
                GrayF32 g = new GrayF32(w, h);
                System.arraycopy(in, (s * c + ch) * h * w, g.data, 0, h * w);
                planes[s * c + ch] = g;
                outs[s * c + ch] = new GrayF32(w, h);
            }
        }
    }

    @Benchmark
    public GrayF32 forward() {
        for (int p = 0; p < planes.length; p++) distort[p / shape.c].apply(planes[p], outs[p]);
        return outs[0];
    }
}

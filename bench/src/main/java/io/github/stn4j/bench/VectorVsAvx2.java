package io.github.stn4j.bench;

import io.github.stn4j.*;
import java.lang.foreign.*;
import java.util.*;

/**
 * A timing loop for backend ratios in one JVM (docs/kernels.md, "Vector API: copied samples"): shape (imagenet or
 * featmap, or another Shapes), op (fwd or bwd), seconds per round, rounds, then the backends; each warms up for 4 rounds' time, then
 * the backends alternate round by round, one thread, off-heap tensors, the benchmark shapes' data. Prints each
 * round's median and minimum call, and with two backends the median ratio of round medians. It checks that the
 * backends give the same bits first.
 */
public class VectorVsAvx2 {
    public static void main(String[] a) {
        String shape = a[0], op = a[1];
        double secs = Double.parseDouble(a[2]);
        int rounds = Integer.parseInt(a[3]);
        List<String> names = Arrays.asList(a).subList(4, a.length);
        Shapes sh = Shapes.valueOf(shape);
        long[] size = sh.size();
        Parallel.setThreads(1);
        Arena arena = Arena.ofShared();
        Tensor x = Tensor.of(arena, sh.input(), size), g = Tensor.of(arena, sh.gradOutput(), size);
        Tensor grid = Tensor.of(arena, sh.grid(), sh.n, sh.h, sh.w, 2);
        float[] in = sh.input();
        Tensor out = Tensor.of(arena, new float[in.length], size), gin = Tensor.of(arena, new float[in.length], size);
        Tensor gg = Tensor.of(arena, new float[sh.n * sh.h * sh.w * 2], sh.n, sh.h, sh.w, 2);
        List<SpatialOps> ops = new ArrayList<>();
        for (String s : names) ops.add(SpatialOps.of(Backend.valueOf(s)));
        boolean fwd = op.equals("fwd");
        Runnable[] calls = new Runnable[ops.size()];
        for (int k = 0; k < ops.size(); k++) {
            SpatialOps o = ops.get(k);
            calls[k] = fwd ? () -> o.gridSample(x, grid, Interpolation.BILINEAR, Padding.ZEROS, false, out)
                    : () -> o.gridSampleBackward(g, x, grid, Interpolation.BILINEAR, Padding.ZEROS, false, gin, gg);
        }
        // warm up
        for (int k = 0; k < calls.length; k++) {
            long end = System.nanoTime() + (long) (secs * 4e9);
            while (System.nanoTime() < end) calls[k].run();
        }
        // bits check
        float[][] res = new float[calls.length][];
        for (int k = 0; k < calls.length; k++) {
            calls[k].run();
            res[k] = fwd ? out.toArray() : concat(gin.toArray(), gg.toArray());
            if (k > 0 && !Arrays.equals(res[0], res[k])) System.out.println("BITS DIFFER " + names.get(k));
        }
        List<List<Double>> meds = new ArrayList<>(), mins = new ArrayList<>();
        for (int k = 0; k < calls.length; k++) { meds.add(new ArrayList<>()); mins.add(new ArrayList<>()); }
        for (int r = 0; r < rounds; r++) {
            StringBuilder sb = new StringBuilder("round " + r + ":");
            for (int k = 0; k < calls.length; k++) {
                List<Double> t = new ArrayList<>();
                long end = System.nanoTime() + (long) (secs * 1e9);
                while (System.nanoTime() < end || t.size() < 5) {
                    long t0 = System.nanoTime();
                    calls[k].run();
                    t.add((System.nanoTime() - t0) / 1e6);
                }
                Collections.sort(t);
                double med = t.get(t.size() / 2), min = t.get(0);
                meds.get(k).add(med);
                mins.get(k).add(min);
                sb.append(String.format("  %s med %.3f min %.3f (%d)", names.get(k), med, min, t.size()));
            }
            System.out.println(sb);
        }
        for (int k = 0; k < calls.length; k++) {
            List<Double> m = new ArrayList<>(meds.get(k));
            Collections.sort(m);
            System.out.printf("%s %s %s: median of medians %.3f ms, min %.3f ms%n", shape, op, names.get(k),
                    m.get(m.size() / 2), Collections.min(mins.get(k)));
        }
        if (calls.length == 2) {
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r < rounds; r++) ratios.add(meds.get(1).get(r) / meds.get(0).get(r));
            Collections.sort(ratios);
            System.out.printf("ratio %s/%s per-round medians: median %.2f; ratio of minima %.2f%n", names.get(1), names.get(0),
                    ratios.get(ratios.size() / 2), Collections.min(mins.get(1)) / Collections.min(mins.get(0)));
        }
    }

    static float[] concat(float[] p, float[] q) {
        float[] r = Arrays.copyOf(p, p.length + q.length);
        System.arraycopy(q, 0, r, p.length, q.length);
        return r;
    }
}

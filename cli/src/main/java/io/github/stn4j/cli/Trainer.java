package io.github.stn4j.cli;

import io.github.stn4j.data.Dataset;
import io.github.stn4j.nn.F;
import io.github.stn4j.nn.Layer;
import io.github.stn4j.nn.Optimizer;
import io.github.stn4j.nn.Var;
import io.github.stn4j.nn.Workspace;
import java.util.Random;

/**
 * Mini-batch training and evaluation of a classifier. The schedule is the same for every model (the comparison must be
 * fair): Adam, learning rate {@code lr}, halved after 60% and again after 80% of the epochs; the training set is
 * shuffled every epoch from the seed.
 */
final class Trainer {
    record Epoch(int epoch, double loss, double trainError, double testError, double imagesPerSecond) {}

    /** Called after every batch with the running loss, running accuracy and throughput. */
    interface Progress {
        void batch(int done, int total, double loss, double accuracy, double imagesPerSecond);
    }

    private final Layer model;
    private final Optimizer optimizer;
    private final int batch, epochs;
    private final float lr;
    private final Random rnd;

    Trainer(Layer model, int batch, int epochs, float lr, long seed) {
        this.model = model;
        this.batch = batch;
        this.epochs = epochs;
        this.lr = lr;
        this.optimizer = new Optimizer.Adam(model.parameters(), lr);
        this.rnd = new Random(seed);
    }

    private final Workspace workspace = new Workspace();

    Epoch train(int epoch, Dataset train, Dataset test, Progress progress) {
        optimizer.setLearningRate(lr * (epoch >= 0.8 * epochs ? 0.25f : epoch >= 0.6 * epochs ? 0.5f : 1f));
        int n = train.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long start = System.nanoTime();
        double lossSum = 0;
        int correct = 0, seen = 0;
        for (int b = 0; b < n; b += batch) {
            int m = Math.min(batch, n - b);
            int[] idx = java.util.Arrays.copyOfRange(order, b, b + m);
            Dataset part = train.select(idx);
            try (Workspace.Scope _ = workspace.open()) { // the step's arrays are reused by the next one
                Var x = Var.constant(part.images(), m, 1, train.h(), train.w());
                Var logits = model.forward(x);
                Var loss = F.crossEntropy(logits, part.labels());
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad();
                lossSum += loss.item() * m;
                correct += countCorrect(logits.data(), part.labels());
            }
            seen += m;
            double secs = (System.nanoTime() - start) / 1e9;
            if (progress != null) progress.batch(seen, n, lossSum / seen, (double) correct / seen, seen / secs);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new Epoch(epoch, lossSum / n, 1 - (double) correct / n, error(test), n / secs);
    }

    /** Classification error on {@code d}. */
    double error(Dataset d) {
        int correct = 0;
        for (int b = 0; b < d.size(); b += 256) {
            int m = Math.min(256, d.size() - b);
            int[] idx = new int[m];
            for (int i = 0; i < m; i++) idx[i] = b + i;
            Dataset part = d.select(idx);
            try (Workspace.Scope _ = workspace.open()) {
                Var logits = model.forward(Var.constant(part.images(), m, 1, d.h(), d.w()));
                correct += countCorrect(logits.data(), part.labels());
            }
        }
        return 1 - (double) correct / d.size();
    }

    static int countCorrect(float[] logits, int[] labels) {
        int k = logits.length / labels.length, correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
            if (best == labels[i]) correct++;
        }
        return correct;
    }
}

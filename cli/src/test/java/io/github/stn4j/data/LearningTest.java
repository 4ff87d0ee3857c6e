package io.github.stn4j.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.nn.Conv2d;
import io.github.stn4j.nn.F;
import io.github.stn4j.nn.Flatten;
import io.github.stn4j.nn.Linear;
import io.github.stn4j.nn.MaxPool2d;
import io.github.stn4j.nn.Optimizer;
import io.github.stn4j.nn.ReLU;
import io.github.stn4j.nn.Sequential;
import io.github.stn4j.nn.SpatialTransformer;
import io.github.stn4j.nn.Var;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The nn package on real data: it needs the Fashion-MNIST subset and its reader, which live with the command line. */
class LearningTest {
    static final Path SUBSET = Path.of("src/demo/fashion-mnist-subset");

    /** A small CNN with a Spatial Transformer between two of its layers learns real data. */
    @Test
    void cnnWithTransformerInsideLearns() throws IOException {
        Dataset train = Idx.load(SUBSET, "train").head(1000);
        Dataset test = Idx.load(SUBSET, "t10k").head(300);
        Random rnd = new Random(3);
        SpatialTransformer st = new SpatialTransformer(new Sequential(new MaxPool2d(2), new Flatten(),
                new Linear(4 * 14 * 14, 16, rnd), new ReLU()), 16, 28, 28);
        Sequential net = new Sequential(new Conv2d(1, 4, 3, 1, rnd), new ReLU(), st, new MaxPool2d(2),
                new Conv2d(4, 8, 3, 1, rnd), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 7 * 7, 10, rnd));
        Optimizer opt = new Optimizer.Adam(net.parameters(), 2e-3f);
        float first = Float.NaN, last = Float.NaN;
        for (int epoch = 0; epoch < 3; epoch++) {
            for (int b = 0; b < train.size(); b += 50) {
                int[] idx = new int[50];
                for (int i = 0; i < 50; i++) idx[i] = b + i;
                Dataset part = train.select(idx);
                Var loss = F.crossEntropy(net.forward(Var.constant(part.images(), 50, 1, 28, 28)), part.labels());
                loss.backward();
                opt.step();
                opt.zeroGrad();
                if (Float.isNaN(first)) first = loss.item();
                last = loss.item();
            }
        }
        Var logits = net.forward(Var.constant(test.images(), test.size(), 1, 28, 28));
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) if (logits.data()[i * 10 + j] > logits.data()[i * 10 + best]) best = j;
            if (best == test.labels()[i]) correct++;
        }
        assertTrue(first > 2.0 && last < 1.2, "loss went from " + first + " to " + last);
        assertTrue(correct > 0.55 * test.size(), "test accuracy " + correct + "/" + test.size());
        float[] theta = st.lastTheta();
        assertTrue(theta != null && theta.length == test.size() * 6);
    }
}

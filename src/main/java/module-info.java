/**
 * stn4j: the Spatial Transformer's affine grid and grid sampler, forward and backward, with PyTorch's semantics, on
 * native SIMD kernels through the Foreign Function &amp; Memory API, and a small autograd with the trainable layer.
 * Grant native access with {@code --enable-native-access=io.github.stn4j}; add {@code jdk.incubator.vector} for the
 * Vector API fallback.
 */
module io.github.stn4j {
    requires static jdk.incubator.vector;
    requires static java.management;
    requires static jdk.management;
    exports io.github.stn4j;
    exports io.github.stn4j.nn;
}

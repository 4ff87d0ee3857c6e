package io.github.stn4j.cli;

import static io.github.stn4j.cli.Cli.TESTCARD;
import static io.github.stn4j.cli.Cli.usageError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.stn4j.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every user error is one line on stderr that names the problem and the fix, with exit code 2 and no stack trace
 * ({@link Cli#usageError} checks the shape); each test checks what its line says.
 */
class CliErrorsTest {
    @TempDir
    Path dir;

    private String out() {
        return dir.resolve("out.png").toString();
    }

    // ---------------------------------------------------------------- warp: paths

    @Test
    void aMissingInputFileIsNamed() {
        String line = usageError("warp", "-i", dir.resolve("nope.png").toString(), "-o", out());
        assertTrue(line.contains("nope.png") && line.contains("does not exist") && line.contains("-i"), line);
    }

    @Test
    void aFolderAsInput() {
        String line = usageError("warp", "-i", dir.toString(), "-o", out());
        assertTrue(line.contains(dir.toString()) && line.contains("is a folder") && line.contains("image file"), line);
    }

    @Test
    void anOutputFolderThatDoesNotExist() {
        Path missing = dir.resolve("missing");
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", missing.resolve("w.png").toString());
        assertTrue(line.contains(missing + " does not exist") && line.contains("mkdir -p " + missing), line);
        assertFalse(Files.exists(missing));
    }

    @Test
    void aFolderAsOutput() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", dir.toString());
        assertTrue(line.contains("is a folder") && line.contains("file name"), line);
    }

    @Test
    void anOutputFormatWithoutWriter() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", dir.resolve("w.xyz").toString());
        assertTrue(line.contains(".xyz") && line.contains(".png") && line.contains(".jpg"), line);
    }

    @Test
    void aFileThatIsNotAnImage() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.png"), "not a picture\n");
        String line = usageError("warp", "-i", text.toString(), "-o", out());
        assertTrue(line.contains("notes.png") && line.contains("not an image") && line.contains(".png"), line);
    }

    @Test
    void aTruncatedImage() throws IOException {
        byte[] png = Files.readAllBytes(TESTCARD);
        Path cut = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 3));
        String line = usageError("warp", "-i", cut.toString(), "-o", out());
        assertTrue(line.contains("cannot decode") && line.contains("cut.png"), line);
        assertFalse(Files.exists(dir.resolve("out.png")), "a failed warp must not leave an output");
    }

    /** A few bytes of PNG header can declare a huge picture: refused from the header, before decoding. */
    @Test
    void anInputDeclaringAHugeSize() throws IOException {
        Path big = Files.write(dir.resolve("big.png"), pngHeader(66_000, 10));
        String line = usageError("warp", "-i", big.toString(), "-o", out());
        assertTrue(line.contains("66000x10") && line.contains("65535"), line);
    }

    // ---------------------------------------------------------------- warp: sizes and numbers

    @Test
    void aZeroSize() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--size", "0x10");
        assertTrue(line.contains("--size 0x10") && line.contains("from 1 to 65535"), line);
    }

    /** Used to be an OutOfMemoryError: now refused before anything is allocated. */
    @Test
    void aHugeSize() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--size", "100000x100000");
        assertTrue(line.contains("--size 100000x100000") && line.contains("from 1 to 65535"), line);
    }

    /** Within the per-side bound, but more pixels than a Java array holds. */
    @Test
    void aSizePastJavaArrays() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--size", "60000x60000");
        assertTrue(line.contains("60000x60000") && line.contains("Java array") && line.contains("smaller --size"),
                line);
    }

    /** Fits arrays but not this JVM's memory: the fix named is the heap or the native pool's limit. */
    @Test
    void aSizePastTheMemoryLimits() {
        UsageError heap = assertThrows(UsageError.class,
                () -> WarpCommand.checkFits("warp", 100, 1_000_000, 3, 10_000_000, Long.MAX_VALUE));
        assertTrue(heap.getMessage().contains("of Java heap") && heap.getMessage().contains("-Xmx"),
                heap.getMessage());
        UsageError pool = assertThrows(UsageError.class,
                () -> WarpCommand.checkFits("warp", 100, 1_000_000, 3, Long.MAX_VALUE, 10_000_000));
        assertTrue(pool.getMessage().contains("native memory") && pool.getMessage().contains("stn4j.maxNativeMemory"),
                pool.getMessage());
        WarpCommand.checkFits("warp", 100, 1_000_000, 3, 100_000_000, 100_000_000); // 20 MB of each: fits
    }

    @Test
    void aMalformedSize() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--size", "10by10");
        assertTrue(line.contains("WxH") && line.contains("10by10"), line);
    }

    @Test
    void aWordForANumber() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--rotate", "abc");
        assertTrue(line.contains("--rotate") && line.contains("abc") && line.contains("--help"), line);
    }

    @Test
    void aNumberThatIsNotFinite() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--shift-x", "NaN");
        assertTrue(line.contains("--shift-x") && line.contains("finite"), line);
    }

    @Test
    void aZeroScale() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--scale", "0");
        assertTrue(line.contains("--scale") && line.contains("non-zero"), line);
    }

    @Test
    void aThetaOfThreeNumbers() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--theta", "1,0,0");
        assertTrue(line.contains("--theta needs 6 numbers") && line.contains("got 3"), line);
    }

    // ---------------------------------------------------------------- warp: backends

    @Test
    void anUnknownBackend() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--backend", "FASTEST");
        assertTrue(line.contains("FASTEST") && line.contains("JAVA_SCALAR") && line.contains("NATIVE_AVX2"), line);
    }

    /** A backend this machine cannot run (AVX-512 on AArch64, NEON on x86) says why and what is available. */
    @Test
    void aBackendThatCannotRunHere() {
        Backend missing = Arrays.stream(Backend.values()).filter(b -> !b.isAvailable()).findFirst().orElse(null);
        assumeTrue(missing != null && missing != Backend.VECTOR_API, "every backend runs here");
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--backend", missing.name());
        assertTrue(line.contains("--backend " + missing + " cannot run here") && line.contains("available: "), line);
    }

    /** java without --add-modules jdk.incubator.vector (what java -jar does): the error names the flag. */
    @Test
    void theVectorApiWithoutItsModule() throws Exception {
        Cli.Run r = Cli.child(List.of("--enable-native-access=ALL-UNNAMED"), "warp", "-i", TESTCARD.toString(),
                "-o", out(), "--backend", "vector_api");
        String line = usageError(r, "warp --backend vector_api without the module");
        assertTrue(line.contains("VECTOR_API") && line.contains("--add-modules jdk.incubator.vector"), line);
    }

    // ---------------------------------------------------------------- the command line itself

    @Test
    void aMisspeltOption() {
        String line = usageError("warp", "-i", TESTCARD.toString(), "-o", out(), "--rotat", "3");
        assertTrue(line.contains("--rotat") && line.contains("did you mean --rotate"), line);
    }

    @Test
    void missingRequiredOptions() {
        String line = usageError("warp");
        assertTrue(line.startsWith("stn4j warp: ") && line.contains("--input") && line.contains("--output")
                && line.contains("see 'stn4j warp --help'"), line);
    }

    @Test
    void noCommand() {
        String line = usageError();
        assertTrue(line.contains("missing command") && line.contains("warp"), line);
    }

    @Test
    void anUnknownCommand() {
        String line = usageError("wrap", "-i", "x");
        assertTrue(line.contains("wrap") && line.contains("did you mean warp?") && line.contains("see 'stn4j --help'"),
                line);
    }

    @Test
    void guessesFollowTyposSwapsAndPrefixes() {
        assertEquals(1, Main.editDistance("wrap", "warp"));
        assertEquals(3, Main.editDistance("wrap", "train"));
        var cl = new picocli.CommandLine(new Main());
        assertEquals("warp", Main.closest("wrap", cl));
        assertEquals("train", Main.closest("trian", cl));
        assertEquals(null, Main.closest("bench", cl));
        var warp = cl.getSubcommands().get("warp");
        assertEquals("--rotate", Main.closest("--rotat", warp));
        assertEquals("--interpolation", Main.closest("--interp=nearest", warp));
        assertEquals("--padding", Main.closest("--paddig", warp));
        assertEquals(null, Main.closest("--colour", warp));
    }

    // ---------------------------------------------------------------- train and demo

    @Test
    void anUnknownModel() {
        String line = usageError("train", "--model", "resnet", "--out", dir.toString());
        assertTrue(line.contains("resnet") && line.contains("fcn, st-fcn, cnn, st-cnn"), line);
    }

    @Test
    void anUnknownDistortion() {
        String line = usageError("train", "--distortion", "wobble", "--out", dir.toString());
        assertTrue(line.contains("wobble") && line.contains("RTS"), line);
    }

    @Test
    void anUnknownTransform() {
        String line = usageError("train", "--model", "st-cnn", "--transform", "affine", "--out", dir.toString());
        assertTrue(line.equals("stn4j train: Invalid value for option '--transform': expected one of [AFF, PROJ, TPS]"
                + " (case-insensitive) but was 'affine'; see 'stn4j train --help'"), line);
    }

    @Test
    void aDataFolderThatDoesNotExist() {
        Path missing = dir.resolve("mnist");
        String line = usageError("train", "--data", missing.toString(), "--out", dir.resolve("o").toString());
        assertTrue(line.contains(missing + " does not exist") && line.contains("train-images-idx3-ubyte")
                && line.contains("dataset-fashion-mnist"), line);
    }

    @Test
    void aDataFolderWithoutTheFiles() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        String line = usageError("train", "--data", empty.toString(), "--out", dir.resolve("o").toString(),
                "--quiet");
        assertTrue(line.contains("cannot read the images in " + empty) && line.contains("train-images-idx3-ubyte"),
                line);
    }

    @Test
    void aFileAsOutputFolder() throws IOException {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        String line = usageError("train", "--out", file.toString());
        assertTrue(line.contains("--out " + file + " is a file"), line);
    }

    @ParameterizedTest
    @CsvSource({"--epochs, -1, --epochs must be 0 or more", "--batch, 0, --batch must be 1 or more",
            "--threads, 0, --threads must be from 1 to", "--threads, 100000, --threads must be from 1 to",
            "--lr, 0, --lr needs a finite number above 0", "--lr, Infinity, --lr needs a finite number above 0",
            "--train-limit, -5, --train-limit must be 0 or more", "--epochs, ten, is not an int"})
    void aBadTrainingNumber(String option, String value, String expected) {
        String line = usageError("train", option, value, "--out", dir.toString());
        assertTrue(line.contains(expected), line);
    }

    @Test
    void anUnknownDemoPair() {
        String line = usageError("demo", "--pair", "mlp", "--out", dir.toString());
        assertTrue(line.contains("mlp") && line.contains("fcn") && line.contains("cnn"), line);
    }

    // ---------------------------------------------------------------- help

    @ParameterizedTest
    @ValueSource(strings = {"--help", "info --help", "warp --help", "train --help", "demo --help", "help warp",
            "warp -h", "--version"})
    void helpAndVersionExitZero(String args) {
        Cli.Run r = Cli.run(args.split(" "));
        assertEquals(0, r.code(), args + ": " + r.err());
        assertEquals("", r.err(), args);
        assertTrue(r.out().contains(args.contains("version") ? "stn4j-cli" : "Usage: stn4j"), r.out());
    }

    /** A PNG with just a header (IHDR declaring w x h, 8-bit RGB) and an end: enough for a reader's getWidth. */
    static byte[] pngHeader(int w, int h) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        png.write(chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put(new byte[] {8, 2, 0, 0, 0}).array()));
        png.write(chunk("IEND", new byte[0]));
        return png.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length)
                .put(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put(data).putInt((int) crc.getValue())
                .array();
    }
}

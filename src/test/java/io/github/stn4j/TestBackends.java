package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Which backends the tests run on. A backend that is not available here is skipped, unless it is listed in the
 * system property {@code stn4j.test.require} (comma-separated, or {@code ALL}): then the test fails, so that CI
 * cannot pass by silently skipping the native paths.
 */
final class TestBackends {
    private TestBackends() {}

    static final Set<String> REQUIRED = Arrays.stream(System.getProperty("stn4j.require", "").split(","))
            .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toSet());

    static Stream<Backend> all() {
        return Arrays.stream(Backend.values());
    }

    static boolean required(Backend b) {
        return REQUIRED.contains("ALL") || REQUIRED.contains(b.name());
    }

    /** The ops for {@code b}, or the test is skipped (or fails, when required). */
    static SpatialOps ops(Backend b) {
        if (!b.isAvailable()) {
            String why = b + " is not available here: " + Stn4j.nativeFailure().orElse("CPU lacks it");
            if (required(b)) fail(why + " (required by -Dstn4j.require)");
            Assumptions.abort(why);
        }
        return SpatialOps.of(b);
    }
}

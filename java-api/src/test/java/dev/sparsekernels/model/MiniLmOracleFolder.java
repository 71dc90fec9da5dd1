package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import dev.sparsekernels.io.Safetensors;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * The MiniLM oracle of {@link BertEncoderMatchesOnnxRuntimeTest} as a folder, for hosts that have neither the model
 * jar (90 MB) nor ONNX Runtime: GPU hosts get it in their pack (ci/gpu/pack-minilm.sh), whose 64 MiB carry has no room
 * for the jar. Written here by {@link #main} from the jar and ONNX Runtime:
 * <ul>
 *   <li>{@value #WEIGHTS}: the weights in F16, the precision the CUDA run rounds every linear weight to anyway, with
 *       the word-embedding rows of tokens that {@link MiniLmOracle#SENTENCES} never use set to
 *       zero (the rows are never read; zeros compress to nothing): 45 MB down to about 20 gzipped;
 *   <li>{@value #TOKENIZER}: the model's tokenizer.json;
 *   <li>{@value #REFERENCE}: ONNX Runtime's embeddings (through langchain4j) of those sentences, [n, 384] F32.
 * </ul>
 * {@code MiniLmOracleFolderTest} checks here, on the CPU in F16, that the folder gives what the jar gives.
 */
final class MiniLmOracleFolder {
    static final String WEIGHTS = "minilm-f16.safetensors";
    static final String TOKENIZER = "tokenizer.json";
    static final String REFERENCE = "ort-embeddings.npy";
    /** System property naming the folder in the GPU group (ci/gpu/junit-gpu.sh sets it when the pack has one). */
    static final String PROPERTY = "sparsekernels.minilm.oracle";

    private MiniLmOracleFolder() {
    }

    /** Usage: {@code MiniLmOracleFolder DIR} (test class path, with the model jar and ONNX Runtime). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: MiniLmOracleFolder DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        write(dir);
        System.out.println("wrote " + dir.resolve(WEIGHTS) + ", " + TOKENIZER + " and " + REFERENCE);
    }

    static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (InputStream in = MiniLmFixture.class.getClassLoader()
                .getResourceAsStream(MiniLmL6V2.TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IOException(MiniLmFixture.MODEL_MISSING);
            }
            Files.copy(in, dir.resolve(TOKENIZER), StandardCopyOption.REPLACE_EXISTING);
        }
        BitSet used = usedTokens(MiniLmFixture.tokenizer());
        try (BertWeights w = MiniLmFixture.weights()) {
            Tensor words = w.tensor("embeddings.word_embeddings.weight");
            float[] rows = words.toFloatArray();
            int hidden = w.config().hidden();
            for (int id = used.nextClearBit(0); id < w.config().vocabularySize(); id = used.nextClearBit(id + 1)) {
                java.util.Arrays.fill(rows, id * hidden, (id + 1) * hidden, 0f);
            }
            Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(w.tensors());
            try (Tensor kept = Tensor.of(rows, words.shape())) {
                tensors.put("embeddings.word_embeddings.weight", kept);
                // a view over tensors that w and kept own: not closed itself
                new BertWeights(w.config(), tensors).writeSafetensors(dir.resolve(WEIGHTS), DType.F16);
            }
        }
        List<float[]> ref = BertEncoderMatchesOnnxRuntimeTest.reference();
        int dim = ref.get(0).length;
        float[] flat = new float[ref.size() * dim];
        for (int i = 0; i < ref.size(); i++) {
            System.arraycopy(ref.get(i), 0, flat, i * dim, dim);
        }
        Npy.write(dir.resolve(REFERENCE), NpyArray.ofFloats(flat, ref.size(), dim));
    }

    /** Every token id the oracle's sentences produce, in its batches. */
    static BitSet usedTokens(WordPieceTokenizer tokenizer) {
        BitSet used = new BitSet();
        for (List<String> batch : MiniLmOracle.batches()) {
            TokenBatch ids = tokenizer.encode(batch);
            for (int id : ids.paddedIds()) {
                used.set(id);
            }
        }
        return used;
    }

    static BertWeights weights(Path dir) {
        try {
            return BertWeights.fromSafetensors(Safetensors.read(dir.resolve(WEIGHTS)), MiniLmL6V2.config());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static WordPieceTokenizer tokenizer(Path dir) {
        try {
            return WordPieceTokenizer.read(dir.resolve(TOKENIZER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<float[]> reference(Path dir) {
        try {
            NpyArray a = Npy.read(dir.resolve(REFERENCE));
            int n = (int) a.dim(0);
            int dim = (int) a.dim(1);
            float[] flat = a.toFloatArray();
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The folder named by {@value #PROPERTY}, or null when the property is unset. */
    static Path fromProperty() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isEmpty() ? null : Path.of(p);
    }
}

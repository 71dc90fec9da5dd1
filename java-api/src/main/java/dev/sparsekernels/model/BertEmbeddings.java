package dev.sparsekernels.model;

import dev.sparsekernels.Tensor;
import java.nio.FloatBuffer;

/**
 * BERT's input layer: word + position + token-type embedding per token, then LayerNorm. Tables stay in their
 * tensors (the word table is 47 MB for MiniLM) and rows are copied out as needed. Owns the tables.
 */
final class BertEmbeddings implements AutoCloseable {
    private final Tensor words;
    private final Tensor positions;
    private final Tensor types;
    private final LayerNorm norm;
    private final int hidden;
    private final int vocabulary;
    private final int maxPositions;

    BertEmbeddings(Tensor words, Tensor positions, Tensor types, LayerNorm norm) {
        this.words = words;
        this.positions = positions;
        this.types = types;
        this.norm = norm;
        this.hidden = (int) words.dim(1);
        this.vocabulary = (int) words.dim(0);
        this.maxPositions = (int) positions.dim(0);
    }

    int maxPositions() {
        return maxPositions;
    }

    int vocabulary() {
        return vocabulary;
    }

    /** The three tables plus LayerNorm gamma and beta. */
    long parameterCount() {
        return words.elementCount() + positions.elementCount() + types.elementCount() + 2L * norm.width();
    }

    /**
     * Packed [tokenCount, hidden] states for ids [batch, seq] (padded, row-major) with the given real lengths.
     * Positions count from 0 in every sequence; the token type is 0 (one segment), as sentence encoders use.
     */
    float[] embed(int[] ids, int seq, PackedSequences packed) {
        FloatBuffer w = words.buffer().asFloatBuffer();
        FloatBuffer p = positions.buffer().asFloatBuffer();
        FloatBuffer t = types.buffer().asFloatBuffer();
        float[] typeRow = new float[hidden];
        t.get(0, typeRow);
        float[] out = ScratchArrays.take(packed.tokenCount() * hidden); // every row is written below
        float[] row = new float[hidden];
        for (int b = 0; b < packed.batch(); b++) {
            for (int i = 0; i < packed.length(b); i++) {
                int id = ids[b * seq + i];
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("ids[" + b + "][" + i + "]: expected a token id in 0.."
                            + (vocabulary - 1) + " but got " + id);
                }
                int dst = (packed.offset(b) + i) * hidden;
                w.get(id * hidden, out, dst, hidden);
                p.get(i * hidden, row);
                for (int c = 0; c < hidden; c++) {
                    out[dst + c] = (out[dst + c] + typeRow[c]) + row[c]; // the order of the reference graph
                }
            }
        }
        norm.apply(out);
        return out;
    }

    @Override
    public void close() {
        words.close();
        positions.close();
        types.close();
    }
}

package dev.sparsekernels.model;

/**
 * The sizes of a BERT encoder. The number of heads cannot be read from the weights (Q is [hidden, hidden] for any
 * split), so it comes from the model card; every other size is checked against the weights when they are loaded.
 *
 * @param layers            transformer layers
 * @param hidden            model width (embedding size)
 * @param heads             attention heads; hidden / heads is the head size
 * @param intermediate      FFN width
 * @param vocabularySize    rows of the word-embedding table
 * @param maxPositions      rows of the position-embedding table: the longest sequence the model takes
 * @param typeVocabularySize rows of the token-type (segment) table
 * @param layerNormEps      epsilon of every LayerNorm (1e-12 in BERT, not PyTorch's default 1e-5)
 */
public record BertConfig(int layers, int hidden, int heads, int intermediate, int vocabularySize, int maxPositions,
        int typeVocabularySize, float layerNormEps) {

    public BertConfig {
        positive("layers", layers);
        positive("hidden", hidden);
        positive("heads", heads);
        positive("intermediate", intermediate);
        positive("vocabularySize", vocabularySize);
        positive("maxPositions", maxPositions);
        positive("typeVocabularySize", typeVocabularySize);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("heads: expected a divisor of hidden = " + hidden + " but got " + heads);
        }
        if (!(layerNormEps > 0) || Float.isInfinite(layerNormEps)) {
            throw new IllegalArgumentException("layerNormEps: expected a positive number but got " + layerNormEps);
        }
    }

    /** sentence-transformers/all-MiniLM-L6-v2: 6 layers, 384 wide, 12 heads of 32, FFN 1536, uncased BERT vocab. */
    public static BertConfig miniLmL6V2() {
        return new BertConfig(6, 384, 12, 1536, 30522, 512, 2, 1e-12f);
    }

    public int headDim() {
        return hidden / heads;
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": expected >= 1 but got " + v);
        }
    }
}

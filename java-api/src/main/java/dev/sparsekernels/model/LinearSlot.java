package dev.sparsekernels.model;

/** The six linear layers of a BERT layer, with the Hugging Face module name of each. */
public enum LinearSlot {
    QUERY(BertWeights.QUERY),
    KEY(BertWeights.KEY),
    VALUE(BertWeights.VALUE),
    /** Projects the concatenated heads back to the model width (Wo). */
    ATTENTION_OUTPUT(BertWeights.ATTENTION_OUTPUT),
    /** FFN up-projection (W1), followed by GELU. */
    INTERMEDIATE(BertWeights.INTERMEDIATE),
    /** FFN down-projection (W2). */
    OUTPUT(BertWeights.OUTPUT);

    private final String module;

    LinearSlot(String module) {
        this.module = module;
    }

    /** The module name within a layer, e.g. "attention.self.query". */
    public String module() {
        return module;
    }
}

package dev.sparsekernels.io;

/**
 * Malformed JSON, with the offset where parsing stopped. Unchecked because {@link JsonReader} parses text already in
 * memory; file readers (safetensors, tokenizer.json) catch it and rethrow their own checked exception naming the file.
 */
public class JsonFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public JsonFormatException(String message) {
        super(message);
    }
}

package dev.sparsekernels.io;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The contents of a {@code .safetensors} file: its tensors in header order and its string metadata. */
public final class SafetensorsFile {
    private final String source;
    private final Map<String, SafetensorsTensor> tensors;
    private final Map<String, String> metadata;

    SafetensorsFile(String source, LinkedHashMap<String, SafetensorsTensor> tensors,
            LinkedHashMap<String, String> metadata) {
        this.source = source;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public Collection<SafetensorsTensor> tensors() {
        return tensors.values();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws IllegalArgumentException naming the file and the tensors it does hold, when there is no such tensor
     */
    public SafetensorsTensor get(String name) {
        SafetensorsTensor t = tensors.get(name);
        if (t == null) {
            String names = String.join(", ", tensors.keySet());
            if (names.length() > 200) {
                names = names.substring(0, 200) + "...";
            }
            throw new IllegalArgumentException(source + ": no tensor '" + name + "' (it holds " + tensors.size()
                    + ": " + names + ")");
        }
        return t;
    }

    /** The {@code __metadata__} entries (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + source + ", " + tensors.size() + " tensors]";
    }
}

package dev.sparsekernels.io.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * An ONNX model ({@code ModelProto}) as far as we need it to take the weights of a trained network: the IR and
 * opset versions, the producer, and the main {@link OnnxGraph} with its initializers and nodes.
 *
 * <p>Read with our own protobuf wire-format reader (no protobuf-java, no generated code). Tensor data is not
 * copied at read time: initializers keep slices of the file's bytes (memory-mapped for a file, one heap array for a
 * stream), decoded when asked for. Everything else in the file (documentation, value infos, training info,
 * functions, metadata) is skipped. Limits: one file below 2 GiB, no external data, no sparse initializers, each of
 * which is reported as an {@link OnnxFormatException}.
 */
public final class OnnxModel {
    /** Largest file accepted: one ByteBuffer, and protobuf itself refuses messages of 2 GiB or more. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final String source;
    private final long irVersion;
    private final String producerName;
    private final String producerVersion;
    private final Map<String, Long> opsets;
    private final OnnxGraph graph;

    OnnxModel(String source, long irVersion, String producerName, String producerVersion, Map<String, Long> opsets,
            OnnxGraph graph) {
        this.source = source;
        this.irVersion = irVersion;
        this.producerName = producerName;
        this.producerVersion = producerVersion;
        this.opsets = Map.copyOf(opsets);
        this.graph = graph;
    }

    /** Reads a model file (memory-mapped). */
    public static OnnxModel read(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file: expected a path but got null");
        }
        String source = file.toString();
        if (Files.isDirectory(file)) {
            throw new OnnxFormatException(source, "is a directory, not an ONNX file");
        }
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                // a pipe reports size 0 whatever it carries (and cannot be mapped): read it as a stream
                try (InputStream in = Files.newInputStream(file)) {
                    return read(in, source);
                }
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size > MAX_BYTES) {
                    throw new OnnxFormatException(source, "file of " + size + " bytes exceeds the limit of "
                            + MAX_BYTES);
                }
                return parse(ch.map(FileChannel.MapMode.READ_ONLY, 0, size), source);
            }
        } catch (NoSuchFileException e) {
            throw new OnnxFormatException(source, "file not found", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new OnnxFormatException(source, "permission denied", e);
        } catch (java.nio.file.FileSystemException e) { // a symlink loop, a path through a file, a name too long
            throw new OnnxFormatException(source, e.getReason() == null ? e.toString() : e.getReason(), e);
        }
    }

    /** Reads a model from a stream (e.g. a resource in a jar) into memory; the stream is not closed. */
    public static OnnxModel read(InputStream in, String source) throws IOException {
        if (in == null) {
            throw new OnnxFormatException(source, "stream is null (resource not found?)");
        }
        byte[] bytes = in.readNBytes((int) MAX_BYTES);
        if (in.read() >= 0) {
            throw new OnnxFormatException(source, "stream is longer than the limit of " + MAX_BYTES + " bytes");
        }
        return parse(ByteBuffer.wrap(bytes), source);
    }

    /** Parses a model held in memory (position to limit); tensors keep slices of this buffer. */
    public static OnnxModel parse(ByteBuffer bytes, String source) throws OnnxFormatException {
        return OnnxParser.model(bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN), source);
    }

    /** The file or stream name the model was read from. */
    public String source() {
        return source;
    }

    public long irVersion() {
        return irVersion;
    }

    public String producerName() {
        return producerName;
    }

    public String producerVersion() {
        return producerVersion;
    }

    /** Opset version by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    public OnnxGraph graph() {
        return graph;
    }

    @Override
    public String toString() {
        return "OnnxModel " + source + " (ir " + irVersion + ", " + producerName + " " + producerVersion + ", "
                + graph.nodes().size() + " nodes, " + graph.initializers().size() + " initializers)";
    }
}

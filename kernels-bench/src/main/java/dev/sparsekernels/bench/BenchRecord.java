package dev.sparsekernels.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measurement, ours against a peer timed in the same process: the schema of bench JSON
 * {"op","format","device","shape":{...},"dtype","ours_ms","peer","peer_ms"} plus "threads" and "speedup", and
 * "mask" for attention ("op":"attention"), "density" (stored blocks over all blocks) for block-sparse formats such as "bsr:32x32", and "keep" (kept channels
 * over all channels) for structured channel removal ("op":"mlp","format":"channels").
 * A missing peer is recorded with peer = "none: <why>" and no peer_ms, never a made-up number.
 */
public final class BenchRecord {
    public final String op;
    public final String format;
    public final String device;
    public final Map<String, Object> shape;
    public final String dtype;
    public final double oursMs;
    public final String peer;
    public final Double peerMs;
    public final int threads;
    /** Stored blocks over all blocks for block-sparse formats; null otherwise. */
    public final Double density;
    /** Kept channels over all channels for the "channels" format; null otherwise. */
    public final Double keep;
    /** The attention mask ("none", "causal", "dense-mask", "block:0.25", ...) for "op":"attention"; null otherwise. */
    public final String mask;

    public BenchRecord(String op, String format, String device, Map<String, Object> shape, String dtype,
            double oursMs, String peer, Double peerMs, int threads) {
        this(op, format, device, shape, dtype, oursMs, peer, peerMs, threads, null);
    }

    public BenchRecord(String op, String format, String device, Map<String, Object> shape, String dtype,
            double oursMs, String peer, Double peerMs, int threads, Double density) {
        this(op, format, device, shape, dtype, oursMs, peer, peerMs, threads, density, null);
    }

    public BenchRecord(String op, String format, String device, Map<String, Object> shape, String dtype,
            double oursMs, String peer, Double peerMs, int threads, Double density, Double keep) {
        this(op, format, device, shape, dtype, oursMs, peer, peerMs, threads, density, keep, null);
    }

    private BenchRecord(String op, String format, String device, Map<String, Object> shape, String dtype,
            double oursMs, String peer, Double peerMs, int threads, Double density, Double keep, String mask) {
        this.op = op;
        this.format = format;
        this.device = device;
        this.shape = new LinkedHashMap<>(shape);
        this.dtype = dtype;
        this.oursMs = oursMs;
        this.peer = peer;
        this.peerMs = peerMs;
        this.threads = threads;
        this.density = density;
        this.keep = keep;
        this.mask = mask;
    }

    /** This record with an attention mask name. */
    public BenchRecord withMask(String maskName) {
        return new BenchRecord(op, format, device, shape, dtype, oursMs, peer, peerMs, threads, density, keep,
                maskName);
    }

    /** peer_ms / ours_ms: above 1 means we are faster; NaN without a peer. */
    public double speedup() {
        return peerMs == null ? Double.NaN : peerMs / oursMs;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("format", format);
        if (mask != null) {
            m.put("mask", mask);
        }
        if (density != null) {
            m.put("density", round(density));
        }
        if (keep != null) {
            m.put("keep", round(keep));
        }
        m.put("device", device);
        m.put("shape", shape);
        m.put("dtype", dtype);
        m.put("ours_ms", round(oursMs));
        m.put("peer", peer);
        if (peerMs != null) {
            m.put("peer_ms", round(peerMs));
            m.put("speedup", round(speedup()));
        }
        m.put("threads", threads);
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}

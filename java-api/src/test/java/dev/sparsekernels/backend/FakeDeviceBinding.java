package dev.sparsekernels.backend;

import dev.sparsekernels.bindings.NativeKernels;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in for the native library that hands out device addresses and counts what the CUDA backend does with them:
 * allocations still live, and the bytes of every host-to-device copy. Nothing is computed (results stay zero), so a
 * test sees how often the backend uploads and frees, not what a kernel returns. Host buffers get made-up addresses,
 * one 4 GiB range each, so an out-parameter (sk_malloc's pointer) lands in the Java buffer it was meant for.
 */
final class FakeDeviceBinding implements InvocationHandler {
    private static final long HOST_BASE = 1L << 40;
    private static final long RANGE = 1L << 32;

    private final Map<ByteBuffer, Long> hostAddresses = new IdentityHashMap<>();
    private final List<ByteBuffer> hostBuffers = new ArrayList<>();
    /** Live device allocations: address to bytes. */
    final Map<Long, Long> live = new HashMap<>();
    /** Bytes of each host-to-device copy, in order. */
    final List<Long> uploads = new ArrayList<>();
    private long nextDevice = 1L << 36;

    final NativeKernels kernels = (NativeKernels) Proxy.newProxyInstance(NativeKernels.class.getClassLoader(),
            new Class<?>[] {NativeKernels.class}, this);

    @Override
    public synchronized Object invoke(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "addressOf":
                return hostAddresses.computeIfAbsent((ByteBuffer) args[0], b -> {
                    hostBuffers.add(b);
                    return HOST_BASE + RANGE * (hostBuffers.size() - 1);
                });
            case "malloc": {
                long bytes = (Long) args[1];
                long address = nextDevice;
                nextDevice += (bytes + 255) / 256 * 256 + 256;
                live.put(address, bytes);
                write((Long) args[0], address);
                return 0;
            }
            case "free":
                live.remove((Long) args[0]);
                return 0;
            case "memcpyH2d":
                uploads.add((Long) args[2]);
                return 0;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            case "toString":
                return "FakeDeviceBinding";
            default:
                break;
        }
        Class<?> r = method.getReturnType();
        if (r == String.class) {
            return method.getName().equals("version") ? "0.0.0" : "";
        }
        if (r == int.class) {
            return method.getName().equals("cudaCompiled") ? 1 : 0;
        }
        return 0L;
    }

    /** Stores a long at a made-up host address, into the buffer whose range holds it. */
    private void write(long hostAddress, long value) {
        int i = (int) ((hostAddress - HOST_BASE) / RANGE);
        if (hostAddress < HOST_BASE || i >= hostBuffers.size()) {
            throw new IllegalStateException("out-parameter at an address no buffer was given: " + hostAddress);
        }
        hostBuffers.get(i).duplicate().order(ByteOrder.nativeOrder())
                .putLong((int) (hostAddress - HOST_BASE - RANGE * i), value);
    }

    synchronized long uploadedBytes() {
        return uploads.stream().mapToLong(Long::longValue).sum();
    }

    synchronized int liveAllocations() {
        return live.size();
    }
}

package dev.sparsekernels.backend;

import dev.sparsekernels.bindings.NativeKernels;
import dev.sparsekernels.bindings.NativeStatus;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stand-in for the native library that hands out device addresses (kernels compute nothing), can make the Nth call
 * of a given {@code sk_} function fail (status {@link NativeStatus#ERR_CUDA}, with a last-error text naming the
 * function), records every status-returning call in order and the bytes of every upload, and checks how device
 * memory is used: a device pointer passed to a copy, a kernel or sk_free must be a live allocation of this binding,
 * and the stream must be non-zero and not destroyed. Misuses are collected in {@link #violations}, never thrown, so
 * the code under test sees only the injected status.
 *
 * <p>Nothing is dereferenced except the Java buffers whose made-up addresses the binding handed out (out-parameters:
 * sk_malloc's pointer, the device count and capability, sk_bsr_workspace_size's byte count, a device name).
 */
final class FaultyDeviceBinding implements InvocationHandler {
    private static final long HOST_BASE = 1L << 40;
    private static final long RANGE = 1L << 32;
    /** The stream the tests give CudaBackend.overBinding (a second backend over the same binding takes another). */
    static final long STREAM = 1L;

    /** Device-pointer argument positions of each call that takes device memory (0 allowed where optional). */
    private static final Map<String, int[]> DEVICE_ARGS = new HashMap<>();
    /** Arguments that may be 0 (optional device pointers). */
    private static final Map<String, int[]> OPTIONAL_ARGS = new HashMap<>();
    /** Calls whose last argument is a stream. */
    private static final Set<String> STREAMED = Set.of("memcpyH2d", "memcpyD2h", "memcpyD2d", "streamSynchronize",
            "sparse24Gemm", "denseGemm", "blasGemm", "bsrGemm", "channelStatsReset", "channelStatsUpdate",
            "channelStatsMerge", "channelStatsFinalize", "gatherRows", "gatherCols", "attention",
            "attentionBlockSparse");

    static {
        DEVICE_ARGS.put("memcpyH2d", new int[] {0});
        DEVICE_ARGS.put("memcpyD2h", new int[] {1});
        DEVICE_ARGS.put("memcpyD2d", new int[] {0, 1});
        DEVICE_ARGS.put("denseGemm", new int[] {0, 2, 3, 4});
        OPTIONAL_ARGS.put("denseGemm", new int[] {3});
        DEVICE_ARGS.put("blasGemm", new int[] {0, 2, 3, 4});
        OPTIONAL_ARGS.put("blasGemm", new int[] {3});
        DEVICE_ARGS.put("sparse24Gemm", new int[] {0, 2, 3, 4, 5});
        OPTIONAL_ARGS.put("sparse24Gemm", new int[] {4});
        DEVICE_ARGS.put("bsrGemm", new int[] {0, 2, 3, 4, 8, 9, 10});
        OPTIONAL_ARGS.put("bsrGemm", new int[] {3, 4, 8, 9});
        DEVICE_ARGS.put("channelStatsReset", new int[] {0});
        DEVICE_ARGS.put("channelStatsUpdate", new int[] {0, 4});
        DEVICE_ARGS.put("channelStatsMerge", new int[] {0, 1});
        DEVICE_ARGS.put("channelStatsFinalize", new int[] {0, 2, 3, 4});
        DEVICE_ARGS.put("gatherRows", new int[] {0, 4, 6});
        DEVICE_ARGS.put("gatherCols", new int[] {0, 4, 6});
        DEVICE_ARGS.put("attention", new int[] {0, 1, 2, 3, 16, 17, 21, 25});
        OPTIONAL_ARGS.put("attention", new int[] {16, 17, 21, 25});
        DEVICE_ARGS.put("attentionBlockSparse", new int[] {0, 1, 2, 3, 16, 17, 21, 25, 29, 30, 31});
        OPTIONAL_ARGS.put("attentionBlockSparse", new int[] {16, 17, 21, 25, 31});
    }

    private final Map<ByteBuffer, Long> hostAddresses = new IdentityHashMap<>();
    private final List<ByteBuffer> hostBuffers = new ArrayList<>();
    private final Thread owner = Thread.currentThread();
    /** Live device allocations: address to bytes. */
    final Map<Long, Long> live = new HashMap<>();
    /** Allocations whose sk_free was made to fail: still live here, and nobody can be blamed for it. */
    final Set<Long> failedFrees = new HashSet<>();
    /** Status-returning calls (method names), in order. */
    final List<String> calls = new ArrayList<>();
    /** Misuses of device memory or of the stream seen so far. */
    final List<String> violations = new ArrayList<>();
    /** Bytes of each host-to-device copy, in order. */
    final List<Long> uploads = new ArrayList<>();
    private long nextDevice = 1L << 36;
    /** Streams sk_stream_destroy was called on; any other non-zero stream is taken as live. */
    private final Set<Long> destroyedStreams = new HashSet<>();
    /** Bytes sk_bsr_workspace_size reports (0 = no workspace: sk_bsr_plan is then not called). */
    long bsrWorkspaceBytes = 64;

    private String failMethod;
    private int failNth;
    private int seen;
    /** When set, every sk_free after the injected failure fails too (cleanup meeting a second fault). */
    boolean failFreesAfterFault;
    /** Runs once, right after the {@code hookNth} successful call of {@code hookMethod} (e.g. to close a matrix). */
    private Runnable hook;
    private String hookMethod;
    private int hookNth;
    private int hookSeen;
    /** The C name of the call that was made to fail, once it was. */
    String failed;
    private String lastError = "";

    final NativeKernels kernels = (NativeKernels) Proxy.newProxyInstance(NativeKernels.class.getClassLoader(),
            new Class<?>[] {NativeKernels.class}, this);

    /** Makes the {@code nth} (1-based) call of {@code method} (a NativeKernels method name) from now on fail. */
    synchronized void failOn(String method, int nth) {
        failMethod = method;
        failNth = nth;
        seen = 0;
        failFreesAfterFault = false;
        failed = null;
    }

    /** Runs {@code action} after the {@code nth} (1-based, from now on) call of {@code method} returned. */
    synchronized void after(String method, int nth, Runnable action) {
        hookMethod = method;
        hookNth = nth;
        hookSeen = 0;
        hook = action;
    }

    synchronized void disarm() {
        failMethod = null;
    }

    /** "memcpyH2d" to "sk_memcpy_h2d". */
    static String cName(String method) {
        StringBuilder b = new StringBuilder("sk_");
        for (char c : method.toCharArray()) {
            if (Character.isUpperCase(c)) {
                b.append('_').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public synchronized Object invoke(Object proxy, Method method, Object[] args) {
        String name = method.getName();
        switch (name) {
            case "addressOf":
                return hostAddresses.computeIfAbsent((ByteBuffer) args[0], b -> {
                    hostBuffers.add(b);
                    return HOST_BASE + RANGE * (hostBuffers.size() - 1);
                });
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            case "toString":
                return "FaultyDeviceBinding";
            case "bindingName":
                return "faulty-fake";
            case "version":
                return "0.0.0";
            case "lastError":
                return lastError;
            case "cudaCompiled":
                return 1;
            default:
                break;
        }
        calls.add(name);
        checkDeviceArgs(name, args);
        if (hook != null && name.equals(hookMethod) && ++hookSeen == hookNth) {
            Runnable h = hook;
            hook = null;
            Object status = call(name, args);
            h.run();
            return status;
        }
        return call(name, args);
    }

    private Object call(String name, Object[] args) {
        boolean secondFault = failMethod != null && failed != null && failFreesAfterFault && name.equals("free");
        if (secondFault || name.equals(failMethod) && ++seen == failNth) {
            if (failed == null) {
                failed = cName(name);
            }
            lastError = "injected failure of " + cName(name);
            if (name.equals("free")) {
                failedFrees.add((Long) args[0]);
            }
            return NativeStatus.ERR_CUDA;
        }
        switch (name) {
            case "malloc": {
                long bytes = (Long) args[1];
                long address = nextDevice;
                nextDevice += (bytes + 255) / 256 * 256 + 256;
                live.put(address, bytes);
                writeLong((Long) args[0], address);
                return 0;
            }
            case "free": {
                long address = (Long) args[0];
                if (Thread.currentThread() != owner) {
                    violations.add("device buffer " + hex(address) + " freed by the garbage collector (" +
                            Thread.currentThread().getName() + "): its DeviceBuffer was never closed");
                }
                if (address != 0 && live.remove(address) == null) {
                    violations.add("sk_free of " + hex(address) + ", not a live allocation (double free?)");
                }
                return 0;
            }
            case "deviceCount":
                writeInt((Long) args[0], 1);
                return 0;
            case "deviceCapability":
                writeInt((Long) args[1], 90);
                return 0;
            case "deviceName": {
                byte[] text = "Fake GPU\0".getBytes(StandardCharsets.UTF_8);
                if ((Long) args[2] >= text.length) {
                    writeBytes((Long) args[1], text);
                }
                return 0;
            }
            case "bsrWorkspaceSize":
                writeLong((Long) args[6], bsrWorkspaceBytes);
                return 0;
            case "streamDestroy":
                destroyedStreams.add((Long) args[0]);
                return 0;
            case "memcpyH2d":
                uploads.add((Long) args[2]);
                return 0;
            default:
                return 0; // kernels compute nothing; results stay zero
        }
    }

    private void checkDeviceArgs(String name, Object[] args) {
        if (name.equals("free") || name.equals("streamDestroy")) {
            if (name.equals("streamDestroy") && ((Long) args[0] == 0 || destroyedStreams.contains(args[0]))) {
                violations.add("sk_stream_destroy of stream " + args[0] + " (null or destroyed before)");
            }
            return;
        }
        if (STREAMED.contains(name)) {
            long stream = (Long) args[args.length - 1];
            if (stream == 0 || destroyedStreams.contains(stream)) {
                violations.add(cName(name) + " on stream " + stream + (stream == 0 ? "" : " (destroyed)"));
            }
        }
        int[] positions = DEVICE_ARGS.get(name);
        if (positions == null) {
            return;
        }
        int[] optional = OPTIONAL_ARGS.getOrDefault(name, new int[0]);
        for (int p : positions) {
            long address = (Long) args[p];
            if (address == 0 && contains(optional, p)) {
                continue;
            }
            if (!live.containsKey(address)) {
                violations.add(cName(name) + " argument " + p + " = " + hex(address)
                        + " is not a live device allocation (freed, or never allocated here)");
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** The Java buffer (duplicate, native order, positioned at 0) and offset a made-up host address falls in. */
    private ByteBuffer bufferAt(long hostAddress, int bytes, int[] offset) {
        int i = (int) ((hostAddress - HOST_BASE) / RANGE);
        if (hostAddress < HOST_BASE || i >= hostBuffers.size()) {
            throw new IllegalStateException("out-parameter at an address no buffer was given: " + hostAddress);
        }
        ByteBuffer b = hostBuffers.get(i).duplicate().order(ByteOrder.nativeOrder());
        b.clear();
        offset[0] = (int) (hostAddress - HOST_BASE - RANGE * i);
        if (offset[0] + bytes > b.capacity()) {
            throw new IllegalStateException("out-parameter of " + bytes + " bytes past its buffer");
        }
        return b;
    }

    private void writeLong(long hostAddress, long value) {
        int[] off = new int[1];
        bufferAt(hostAddress, 8, off).putLong(off[0], value);
    }

    private void writeInt(long hostAddress, int value) {
        int[] off = new int[1];
        bufferAt(hostAddress, 4, off).putInt(off[0], value);
    }

    private void writeBytes(long hostAddress, byte[] value) {
        int[] off = new int[1];
        bufferAt(hostAddress, value.length, off).put(off[0], value);
    }

    /** Live allocations other than those whose free was made to fail. */
    synchronized Set<Long> leaked() {
        Set<Long> s = new HashSet<>(live.keySet());
        s.removeAll(failedFrees);
        return s;
    }

    synchronized List<String> callsSince(int mark) {
        return new ArrayList<>(calls.subList(mark, calls.size()));
    }

    synchronized long uploadedBytes() {
        return uploads.stream().mapToLong(Long::longValue).sum();
    }

    synchronized int liveAllocations() {
        return live.size();
    }
}

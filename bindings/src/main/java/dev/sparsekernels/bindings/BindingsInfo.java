package dev.sparsekernels.bindings;

/**
 * {@code java -cp <bindings jar>:<native jar>:<javacpp jar> dev.sparsekernels.bindings.BindingsInfo}: prints which
 * binding loaded, from where, the library version and the device count; exits 1 with the cause when unavailable.
 * A smoke check for a JVM/classpath combination (e.g. JDK 17 + JavaCPP) without writing any code.
 */
public final class BindingsInfo {
    private BindingsInfo() {
    }

    public static void main(String[] args) {
        System.out.println("java: " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        if (!NativeLibrary.isAvailable()) {
            System.out.println("available: false");
            System.out.println("cause: " + NativeLibrary.unavailabilityCause());
            System.exit(1);
        }
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        System.out.println("available: true");
        System.out.println("binding: " + calls.kernels().bindingName());
        System.out.println("library: " + NativeLibrary.libraryPath());
        System.out.println("version: " + calls.version());
        System.out.println("cudaCompiled: " + calls.cudaCompiled());
        int devices = calls.deviceCount();
        System.out.println("deviceCount: " + devices);
        if (devices == 0) {
            System.out.println("lastError: " + calls.kernels().lastError());
        }
        for (int d = 0; d < devices; d++) {
            System.out.println("device " + d + ": " + calls.deviceName(d) + ", sm_" + calls.deviceCapability(d));
        }
    }
}

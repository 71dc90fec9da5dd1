package dev.sparsekernels.cli;

import picocli.CommandLine;

/** Version of the Java side, and of the native library when it loads. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String pkg = Main.class.getPackage().getImplementationVersion();
        return new String[] {"sparsekernels " + (pkg == null ? "0.1.0-SNAPSHOT" : pkg)};
    }
}

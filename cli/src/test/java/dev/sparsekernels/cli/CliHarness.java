package dev.sparsekernels.cli;

import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;

/** Runs CLI commands in-process with captured output, and writes their .npy inputs: shared by the CLI tests. */
abstract class CliHarness {
    @TempDir
    Path dir;

    /** stdout and stderr of the last {@link #run}. */
    String out;
    String err;

    int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o, true), new PrintWriter(e, true));
        out = o.toString();
        err = e.toString();
        return code;
    }

    Path save(String name, float[] data, long... shape) throws Exception {
        return save(name, NpyArray.ofFloats(data, shape));
    }

    Path save(String name, NpyArray array) throws Exception {
        Path p = dir.resolve(name);
        Npy.write(p, array);
        return p;
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}

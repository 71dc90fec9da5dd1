package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.NpyArray;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every command, given bad arguments or bad files, exits 2 with exactly one line on stderr that names the problem
 * (the option or the file), and no stack trace. The files: a corpus of broken .npy files given to every file option of
 * every command, each with valid companions for the other options, so that the broken one is what gets refused.
 */
class BadInputExitsTwoInOneLineTest extends CliHarness {
    /** Broken .npy files by name; each name appears in the error line when the file is refused. */
    private final Map<String, Path> broken = new LinkedHashMap<>();

    @BeforeEach
    void writeFiles() throws Exception {
        save("x.npy", new float[16], 2, 8);
        save("w.npy", new float[32], 4, 8);
        save("b.npy", new float[4], 4);
        save("q.npy", new float[32], 1, 1, 4, 8);
        save("lengths.npy", NpyArray.ofLongs(new long[] {3}, 1));
        save("mask.npy", NpyArray.ofBooleans(new boolean[16], 4, 4));
        save("bias.npy", new float[16], 4, 4);
        save("heads.npy", NpyArray.ofBooleans(new boolean[] {true}, 1));
        save("w1.npy", new float[32], 8, 4);
        save("b1.npy", new float[8], 8);
        save("w2.npy", new float[24], 3, 8);
        save("b2.npy", new float[3], 3);
        save("acts.npy", new float[40], 5, 8);

        byte[] good = Files.readAllBytes(dir.resolve("x.npy"));
        brokenFile("truncated_data.npy", java.util.Arrays.copyOf(good, good.length - 5));
        brokenFile("truncated_header.npy", java.util.Arrays.copyOf(good, 30));
        brokenFile("not_numpy.npy", "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        brokenFile("empty.npy", new byte[0]);
        brokenFile("terabyte.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"));
        brokenFile("negative.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -8), }"));
        brokenFile("complex.npy", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"));
        brokenFile("fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 8), }"));
        brokenFile("newline_in_header.npy", npy("{'descr': '<f4',\n 'fortran_order': False, 'shape': [2, 8], }"));
        Files.createDirectory(dir.resolve("directory.npy"));
        broken.put("directory.npy", dir.resolve("directory.npy"));
        broken.put("missing.npy", dir.resolve("missing.npy"));
    }

    private void brokenFile(String name, byte[] bytes) throws Exception {
        broken.put(name, Files.write(dir.resolve(name), bytes));
    }

    /** A version 1.0 .npy with this header text and 64 zero bytes of data. */
    private static byte[] npy(String dict) {
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int total = (text.length + 1 + 10 + 63) / 64 * 64 - 10;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.writeBytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) total).array());
        out.writeBytes(text);
        out.writeBytes(" ".repeat(total - text.length - 1).getBytes(StandardCharsets.US_ASCII));
        out.write('\n');
        out.writeBytes(new byte[64]);
        return out.toByteArray();
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** Valid command lines, one per file option: {command line with the option's file replaced by FILE}. */
    private List<String[]> everyFileOption() {
        String y = p("y.npy");
        String out = p("out");
        List<String[]> c = new ArrayList<>();
        c.add(new String[] {"prune", "--pattern", "2:4", "--in", "FILE", "--out", y});
        c.add(new String[] {"gemm", "--format", "dense", "--w", "FILE", "--x", p("x.npy"), "--device", "cpu", "--out",
            y});
        c.add(new String[] {"gemm", "--format", "dense", "--w", p("w.npy"), "--x", "FILE", "--device", "cpu", "--out",
            y});
        c.add(new String[] {"gemm", "--format", "dense", "--w", p("w.npy"), "--x", p("x.npy"), "--bias", "FILE",
            "--device", "cpu", "--out", y});
        String[] attention = {"attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--device", "cpu",
            "--out", y};
        for (String option : new String[] {"--q", "--k", "--v"}) {
            String[] a = attention.clone();
            a[List.of(a).indexOf(option) + 1] = "FILE";
            c.add(a);
        }
        for (String option : new String[] {"--key-lengths", "--mask", "--bias", "--head-mask"}) {
            String[] a = java.util.Arrays.copyOf(attention, attention.length + 2);
            a[attention.length] = option;
            a[attention.length + 1] = "FILE";
            c.add(a);
        }
        String[] channels = {"channels", "--w1", p("w1.npy"), "--b1", p("b1.npy"), "--w2", p("w2.npy"), "--b2",
            p("b2.npy"), "--acts", p("acts.npy"), "--keep", "0.5", "--criterion", "wanda", "--out-dir", out};
        for (String option : new String[] {"--w1", "--b1", "--w2", "--b2", "--acts"}) {
            String[] a = channels.clone();
            a[List.of(a).indexOf(option) + 1] = "FILE";
            c.add(a);
        }
        return c;
    }

    @Test
    void theValidCommandLinesSucceedSoTheBrokenFileIsWhatFails() {
        List<String> valid = List.of("w.npy", "w.npy", "x.npy", "b.npy", "q.npy", "q.npy", "q.npy", "lengths.npy",
                "mask.npy", "bias.npy", "heads.npy", "w1.npy", "b1.npy", "w2.npy", "b2.npy", "acts.npy");
        List<String[]> lines = everyFileOption();
        assertEquals(valid.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String[] a = lines.get(i).clone();
            a[List.of(a).indexOf("FILE")] = p(valid.get(i));
            assertEquals(0, run(a), () -> String.join(" ", a) + ": " + err);
        }
    }

    @Test
    void everyBrokenFileInEveryFileOptionExitsTwoNamingIt() {
        int runs = 0;
        for (String[] line : everyFileOption()) {
            for (Map.Entry<String, Path> f : broken.entrySet()) {
                String[] a = line.clone();
                a[List.of(a).indexOf("FILE")] = f.getValue().toString();
                assertBad(run(a), f.getKey(), String.join(" ", a));
                runs++;
            }
        }
        System.out.println("broken-file runs: " + runs); // quoted in docs/reliability.md
        assertEquals(16 * 11, runs);
    }

    @Test
    void badArgumentsOfEveryCommandExitTwoNamingTheProblem() {
        String y = p("y.npy");
        String[][] cases = {
            {"Unknown option", "info", "--bogus"},
            {"Unmatched argument at index 0: 'nonsense'", "nonsense"},
            {"Unknown subcommand 'nonsense'", "help", "nonsense"},
            {"Missing required", "prune", "--pattern", "2:4"},
            {"--pattern", "prune", "--pattern", "3:4", "--in", p("w.npy"), "--out", y},
            {"--density", "prune", "--pattern", "block:16", "--in", p("w.npy"), "--out", y},
            {"block", "prune", "--pattern", "block:17", "--density", "0.5", "--in", p("w.npy"), "--out", y},
            {"does not exist", "prune", "--pattern", "2:4", "--in", p("w.npy"), "--out", p("no/such/dir/y.npy")},
            {"--format", "gemm", "--format", "2:5", "--w", p("w.npy"), "--x", p("x.npy"), "--out", y},
            {"--device", "gemm", "--format", "dense", "--w", p("w.npy"), "--x", p("x.npy"), "--device", "gpu", "--out",
                y},
            {"dtype", "gemm", "--format", "dense", "--w", p("w.npy"), "--x", p("x.npy"), "--dtype", "f64", "--out", y},
            {"in", "gemm", "--format", "dense", "--w", p("w.npy"), "--x", p("w1.npy"), "--out", y},
            {"2-D", "gemm", "--format", "dense", "--w", p("b.npy"), "--x", p("x.npy"), "--out", y},
            {"--window", "attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--window", "0",
                "--out", y},
            {"--scale: expected", "attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--scale", "0",
                "--out", y},
            {"leave --scale out", "attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--scale",
                "1e300", "--out", y},
            {"--key-lengths", "attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--key-lengths",
                p("b.npy"), "--out", y},
            {"--q", "attention", "--q", p("x.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--out", y},
            {"Invalid value", "attention", "--q", p("q.npy"), "--k", p("q.npy"), "--v", p("q.npy"), "--scale", "abc",
                "--out", y},
            {"--keep", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "1.5", "--criterion", "l1",
                "--out-dir", p("out")},
            {"--criterion", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5", "--criterion",
                "l3", "--out-dir", p("out")},
            {"--acts", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5", "--criterion", "wanda",
                "--out-dir", p("out")},
            {"--w2", "channels", "--w1", p("w1.npy"), "--w2", p("w1.npy"), "--keep", "0.5", "--criterion", "l1",
                "--out-dir", p("out")},
            {"--head-dim", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5", "--criterion", "l1",
                "--head-dim", "0", "--out-dir", p("out")},
            {"not a directory", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5", "--criterion",
                "l1", "--out-dir", p("x.npy")},
            {"mutually exclusive", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5",
                "--keep-count", "3", "--criterion", "l1", "--out-dir", p("out")},
            {"cannot create the directory", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5",
                "--criterion", "l1", "--out-dir", "/proc/sparsekernels-no-such-dir/out"},
            {"an empty path", "gemm", "--format", "dense", "--w", p("w.npy"), "--x", p("x.npy"), "--device", "cpu",
                "--out", ""},
            {"--suite", "bench", "--suite", "huge"},
            {"--device", "verify", "--device", "gpu"},
            {"the device whose kernels are checked", "verify", "--device", "cpu"},
            {"--device", "verify", "--device", "auto"},
            {"Unknown option", "demo", "--bogus"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            assertBad(run(args), c[0], String.join(" ", args));
        }
        System.out.println("bad-argument runs: " + cases.length); // quoted in docs/reliability.md
    }

    private void assertBad(int code, String mention, String commandLine) {
        assertEquals(2, code, () -> commandLine + "\nexit code; stderr: " + err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, () -> commandLine + "\none line expected: " + err);
        assertTrue(err.startsWith("error: "), () -> commandLine + ": " + err);
        assertFalse(err.startsWith("error: Error"), () -> commandLine + ": one prefix: " + err);
        assertTrue(err.contains(mention), () -> commandLine + "\nstderr should mention '" + mention + "': " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), () -> commandLine + ": " + err);
    }
}

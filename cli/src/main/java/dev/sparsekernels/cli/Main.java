package dev.sparsekernels.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The sparsekernels command. Bad input exits with code 2 and one line naming the problem; a stack trace only with
 * --verbose, because users of a CLI need the sentence, not the JVM's internals.
 */
@Command(name = "sparsekernels", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Sparse kernels for pruned neural networks: 2:4 GEMM on .npy files, benchmarks, demo.",
        subcommands = {InfoCommand.class, PruneCommand.class, GemmCommand.class, BenchCommand.class,
            AttentionCommand.class, VerifyCommand.class, ChannelsCommand.class,
            DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_BAD_INPUT = 2;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns the exit code (used by tests to run commands in-process). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || (parseResult.subcommand() != null && parseResult.subcommand().hasMatchedOption("--verbose"));
            return Failures.report(ex, verbose, commandLine.getErr());
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            // some picocli messages (argument groups) carry their own "Error: " prefix: one prefix is enough
            String m = Failures.oneLine(ex.getMessage());
            ex.getCommandLine().getErr().println("error: " + (m.startsWith("Error: ") ? m.substring(7) : m));
            return EXIT_BAD_INPUT;
        });
        try {
            return cl.execute(args);
        } catch (Error e) { // picocli hands only Exceptions to the handler above; an Error gets the same one line
            return Failures.report(e, java.util.Arrays.asList(args).contains("--verbose"), err);
        }
    }
}

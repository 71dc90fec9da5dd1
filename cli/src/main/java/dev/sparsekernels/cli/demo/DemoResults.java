package dev.sparsekernels.cli.demo;

import java.util.List;

/**
 * Everything one demo run measured. Speeds are sentences per second on the speed batch, all from the same run:
 * ONNX Runtime's from the median of its runs; ours as that times the median ratio of each timing pair
 * ({@link InterleavedTimer#pairedSpeedup}), with the plain medians beside them ({@code ...Unpaired}).
 *
 * @param loadAverage the machine's 1-minute load average when the run started and when it ended (NaN if unknown)
 * @param allocatedMbPerBatch the most any of our models allocated in a timed run (median over rounds), MB; NaN if the
 *                    JVM does not count it
 */
record DemoResults(String model, String device, String baseline, int threads, int batch, int sequenceLength,
        int heldoutSentences, int calibrationSentences, int rounds, double[] loadAverage, Dense dense,
        List<Config> configs, double allocatedMbPerBatch) {

    /**
     * Our dense model against ONNX Runtime.
     *
     * @param allocatedMbPerBatch what one timed run allocated (median over rounds), MB; NaN if not counted
     */
    record Dense(double cosineVsOrtMin, double cosineVsOrtMean, long params, double sentencesPerS,
            double ortSentencesPerS, double sentencesPerSUnpaired, double allocatedMbPerBatch) {
    }

    /**
     * One pruning configuration against our dense model (quality) and in the same timing rounds (speed).
     *
     * @param allocatedMbPerBatch what one timed run allocated (median over rounds), MB; NaN if not counted
     */
    record Config(String name, String description, double cosineMean, double cosineMin, double top1Agreement,
            long params, double sentencesPerS, double sentencesPerSUnpaired, double allocatedMbPerBatch) {
    }
}

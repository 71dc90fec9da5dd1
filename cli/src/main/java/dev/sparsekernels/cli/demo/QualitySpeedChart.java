package dev.sparsekernels.cli.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG of quality against speed: one point per model (x = sentences per second, y = mean cosine to our dense
 * model), our dense model at y = 1, ONNX Runtime's speed as a vertical line and issue 7's targets as dashed lines,
 * so what each pruning buys and costs reads off one picture. Rendered off screen (headless).
 */
final class QualitySpeedChart {
    static final String FILE = "quality-vs-speed.png";

    private QualitySpeedChart() {
    }

    static void write(DemoResults r, Path file) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // no display needed, before any AWT class loads
        }
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries dense = new XYSeries("ours, dense");
        dense.add(r.dense().sentencesPerS(), 1.0);
        data.addSeries(dense);
        XYSeries pruned = new XYSeries("pruned (label: config)");
        for (DemoResults.Config c : r.configs()) {
            pruned.add(c.sentencesPerS(), c.cosineMean());
        }
        data.addSeries(pruned);

        NumberAxis x = new NumberAxis("sentences per second (batch " + r.batch() + " x " + r.sequenceLength()
                + ", " + r.threads() + " threads)");
        NumberAxis y = new NumberAxis("mean cosine to the dense model (held-out sentences)");
        // fixed ranges: the ORT line and the labels right of the points must be inside the picture
        double maxSpeed = Math.max(r.dense().sentencesPerS(), Targets.PRUNED_VS_ORT * r.dense().ortSentencesPerS());
        double minCosine = 1.0;
        for (DemoResults.Config c : r.configs()) {
            maxSpeed = Math.max(maxSpeed, c.sentencesPerS());
            minCosine = Math.min(minCosine, c.cosineMean());
        }
        x.setRange(0, maxSpeed * 1.35);
        y.setRange(Math.max(-1, minCosine - 0.05), 1.02);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        ValueMarker ort = new ValueMarker(r.dense().ortSentencesPerS(), Color.DARK_GRAY, new BasicStroke(1.5f));
        ort.setLabel(String.format(Locale.ROOT, "ONNX Runtime dense %.1f/s", r.dense().ortSentencesPerS()));
        ort.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        ort.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
        plot.addDomainMarker(ort);
        // issue 7's bar for a pruned model: right of the dashed line and above the dotted one
        BasicStroke dashed = new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {6f, 4f}, 0f);
        ValueMarker target = new ValueMarker(Targets.PRUNED_VS_ORT * r.dense().ortSentencesPerS(), Color.GRAY,
                dashed);
        target.setLabel(String.format(Locale.ROOT, "target %.1fx ONNX Runtime", Targets.PRUNED_VS_ORT));
        target.setLabelAnchor(RectangleAnchor.BOTTOM_LEFT);
        target.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        plot.addDomainMarker(target);
        ValueMarker cosine = new ValueMarker(Targets.COSINE_MEAN, Color.GRAY, new BasicStroke(1f,
                BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {2f, 3f}, 0f));
        cosine.setLabel(String.format(Locale.ROOT, "target mean cosine %.2f", Targets.COSINE_MEAN));
        cosine.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
        cosine.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
        plot.addRangeMarker(cosine);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        for (DemoResults.Config c : r.configs()) {
            XYTextAnnotation label = new XYTextAnnotation("  " + c.name(), c.sentencesPerS(), c.cosineMean());
            label.setFont(font);
            label.setTextAnchor(TextAnchor.CENTER_LEFT);
            plot.addAnnotation(label);
        }
        JFreeChart chart = new JFreeChart("Pruned all-MiniLM-L6-v2 on sparsekernels: quality against speed",
                new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 650);
    }
}

package dev.sparsekernels.cpu;

/**
 * Microkernels behind {@link FlashAttention}: one implementation on the Vector API ({@code VectorAttentionKernels},
 * loaded only when {@link CpuVectorization#isActive()}) and one in plain Java ({@link ScalarAttentionKernels}). Rows
 * are contiguous float runs of length {@code d}; rows of Q and V may lie any stride apart (a head's columns inside
 * wider packed rows); callers guarantee every index is in range.
 */
interface AttentionKernels {
    String describe();

    /** Whether every value of {@code a[o ..+n]} is finite (no NaN, no infinity). */
    boolean allFinite(float[] a, int o, int n);

    /**
     * {@code tileMax[r]} = the maximum of {@code s[r*lds ..+n]} (-inf when all are -inf, NaN when one is NaN) for
     * every row r in [r0, r1].
     */
    void rowMax(float[] s, int lds, int r0, int r1, int n, float[] tileMax);

    /**
     * For every row r in [r0, r1] with {@code live[r]}: {@code s[r*lds + c] = exp(s[r*lds + c] - m[r])} in place for
     * c in [0, n) (m[r] finite, arguments at most {@link FlashAttention#RESCALE_SLACK} above 0), and
     * {@code sums[r]} += their sum. One call per tile rather than one per row: the exponentials of consecutive rows
     * then overlap (about 15-30% less time per element than a call per row).
     */
    void expRows(float[] s, int lds, int r0, int r1, int n, float[] m, boolean[] live, float[] sums);

    /** {@code out[oo + i] = acc[ao + i] * f} for i in [0, d); returns whether every value written is finite. */
    boolean scaleInto(float[] acc, int ao, int d, float f, float[] out, int oo);

    /** {@code a[o ..+n] *= f}. */
    void scale(float[] a, int o, int n, float f);

    /** {@code acc[ao ..+d] += sum over c in [0, n) of p[po + c] * v[vo + c*ldv ..+d]} (V rows ldv apart). */
    void pv(float[] p, int po, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao);

    /** Keys per chunk of a transposed K: component i of keys c..c+15 of a chunk lie side by side. */
    int CHUNK_KEYS = 16;

    /**
     * Two query rows against n keys of a transposed K held in chunks of {@link #CHUNK_KEYS} keys: component i of the
     * tile's key c is {@code kt[kc0 + (c / 16) * chunk + c % 16 + i * ldk]}. One plain K^T [d][ldk] is
     * {@code chunk = 16}; K^T in panels [panel][d][16] is {@code ldk = 16, chunk = 16 * d}. ldk is a multiple of 8,
     * keys up to n rounded up to 8 are readable and those past n may hold anything.
     * {@code s[so0 + c] = scale * dot(q[qo0..], key c)} and the same for row 1 into {@code s[so1 ..]}, for c in
     * [0, round n up to 8). Passing the same row twice is allowed.
     */
    void scoresT2(float[] q, int qo0, int qo1, float[] kt, int ldk, int kc0, int chunk, int n, int d, float scale,
                  float[] s, int so0, int so1);

    /** As {@link #pv} for two rows at once (distinct accumulators): p rows at po0 and po1, acc rows at ao0, ao1. */
    void pv2(float[] p, int po0, int po1, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao0, int ao1);

    /** Rows per {@link #scoresT6} and {@link #pv6} call. */
    int ROWS = 6;

    /**
     * Six query rows ({@code q[qo + r*ldq ..]}, r < 6) against keys of a transposed K as in {@link #scoresT2}; row r's
     * scores go to {@code s[so + r*lds ..]} (lds >= n rounded up to 8).
     */
    void scoresT6(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d, float scale,
                  float[] s, int so, int lds);

    /**
     * As {@link #pv} for six rows: p rows at {@code po + r*ldp}, accumulator rows at {@code ao + r*d}, and V in
     * chunks of 16 columns as K in {@link #scoresT2}: column i of the tile's key c is
     * {@code v[vo + c * ldv + (i / 16) * chunk + i % 16]}. Plain rows are {@code chunk = 16}; V in column panels
     * [d / 16][Lk][16] is {@code ldv = 16, chunk = 16 Lk} (then d is a multiple of 16).
     */
    void pv6(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc, int ao);

    /** As {@link #scoresT6} for four rows (the rest of a query block after its groups of six). */
    void scoresT4(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d, float scale,
                  float[] s, int so, int lds);

    /** As {@link #pv6} for four rows. */
    void pv4(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc, int ao);

    /**
     * V rows into column panels: for each row c < rows and chunk j < d / 16, the 16 floats at {@code v[vo + c*ldv +
     * 16 j ..]} go to {@code vp[po + j*chunk + 16 c ..]} (d a multiple of 16).
     */
    void panelRows(float[] v, int vo, int ldv, int rows, int d, float[] vp, int po, int chunk);

    /**
     * One head's keys transposed into chunks of {@link #CHUNK_KEYS}: component i of key c (of {@code rows} keys at
     * {@code k[ko + c*ldk ..+d]}) goes to {@code kt[kto + (c / 16) * chunk + i * ld + c % 16]} (the two layouts of
     * {@link #scoresT2}). Slots past the last key are left as they are. A default method: plain Java was as fast as
     * the alternatives tried (gathers, the other loop order); the cost is in reading K, not in the instructions.
     * {@code readAhead} says K may be out of cache (nothing has just read it): a kernel may then read ahead of its
     * copy.
     */
    default void transposeKeys(float[] k, int ko, int ldk, int rows, int d, float[] kt, int kto, int ld, int chunk,
            boolean readAhead) {
        // 16 keys at a time: in either layout their d destination runs stay in cache while the rows are read
        for (int c0 = 0; c0 < rows; c0 += CHUNK_KEYS) {
            int c1 = Math.min(rows, c0 + CHUNK_KEYS);
            int base = kto + c0 / CHUNK_KEYS * chunk - c0;
            for (int i = 0; i < d; i++) {
                int o = base + i * ld;
                for (int c = c0; c < c1; c++) {
                    kt[o + c] = k[ko + c * ldk + i];
                }
            }
        }
    }

    /** {@code s[so + c] = -inf} where {@code !allowed[mo + c]}, for c in [0, n) (a dense boolean mask's row). */
    void maskRow(float[] s, int so, int n, boolean[] allowed, int mo);

    /**
     * {@code s[so + c] += bias[bo + c]} for c in [0, n), except that a -inf bias gives -inf whatever the score (it is
     * a mask, and must hide a NaN score too: NaN + -inf is NaN).
     */
    void biasRow(float[] s, int so, int n, float[] bias, int bo);
}

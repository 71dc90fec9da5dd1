package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CacheAlignedTest {
    @Test
    void offsetIsInsideOneCacheLine() {
        assertTrue(CacheAligned.OFFSET >= 0 && CacheAligned.OFFSET < CacheAligned.LINE_FLOATS,
                "offset " + CacheAligned.OFFSET);
    }

    @Test
    void defaultHotSpotHeaderOfSixteenBytesNeedsTwelveFloatsOfPadding() {
        // this test JVM runs with default flags: 16-byte array headers, so element 12 starts at byte 64
        assertEquals(12, CacheAligned.OFFSET);
    }

    @Test
    void arraysHaveRoomForTheRequestedFloatsAfterTheOffset() {
        for (int n : new int[] {0, 1, 17, 1000, 3_000_000}) {
            float[] a = CacheAligned.allocate(n);
            assertTrue(a.length >= n + CacheAligned.OFFSET, "n=" + n + " length " + a.length);
            assertTrue(a.length >= CacheAligned.MIN_FLOATS, "n=" + n + " length " + a.length);
        }
    }

    @Test
    void underG1SmallRequestsStillGetHalfARegionSoTheArrayStartsARegion() {
        if (CacheAligned.MIN_FLOATS > 0) {
            assertTrue(CacheAligned.allocate(1).length * 4L >= 512 * 1024,
                    "half a region is at least 512 KiB (regions are at least 1 MiB)");
        }
    }

    @Test
    void describeSaysWhetherBuffersAreKnownToBeAligned() {
        String d = CpuVectorization.bufferPlacement();
        if (CacheAligned.MIN_FLOATS > 0) {
            assertEquals("on cache-line starts (G1: buffers of " + (CacheAligned.MIN_FLOATS * 4L / 1024)
                    + " KiB or more start a heap region)", d);
        } else {
            assertTrue(d.startsWith("not known to be on cache-line starts"), d);
        }
    }

    @Test
    void sizesBeyondOneArrayAreRefused() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CacheAligned.allocate(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheAligned.allocate(-1));
    }
}

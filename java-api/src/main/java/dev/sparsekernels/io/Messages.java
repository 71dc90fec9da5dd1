package dev.sparsekernels.io;

/** Shared by the format exceptions: messages quote text from files, which may hold anything. */
final class Messages {
    private Messages() {
    }

    /**
     * {@code s} with control characters escaped as \xNN: a NUL or newline from a hostile header must not break the
     * one-line message a CLI prints, nor garble a terminal.
     */
    static String printable(String s) {
        if (s == null || s.chars().noneMatch(Messages::isControl)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(isControl(c) ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    private static boolean isControl(int c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0);
    }
}

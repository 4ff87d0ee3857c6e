package io.github.stn4j.cli;

/**
 * A mistake in what the user asked for (an argument, an input or output path, the data), reported as one line on
 * stderr with exit code {@link Main#USAGE}, never with a stack trace. The message says what is wrong and how to fix
 * it; {@link Main} puts the command's name in front.
 */
final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
        super(message, null, false, false); // no stack trace: it is never printed
    }
}

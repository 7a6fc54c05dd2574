"""What the long commands (`reproduce`, `tune`) show and log.

On the terminal: one `JobProgress` bar over the whole job and one line
per finished row (or nothing but the result with `--quiet`); with
`--verbose`, every log line instead of the bar (each row's start, each
trial, each epoch). Everything, whatever the flags, goes to a log file in
the output folder, created with its first line (so a run that fails
before its first result, e.g. on a bad data file, leaves no folder).
"""

import contextlib
import logging
import os
import sys

from rnr_keras.job_progress import JobProgress

#: The package logger the log file and `--verbose` listen to.
PACKAGE_LOGGER = "rnr_keras"

#: Log line layout: time, then the message.
FORMAT = "%(asctime)s %(message)s"


def add_verbose(parser):
    """Adds `--verbose`."""
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="Print every log line (each trial and each epoch) instead of "
        "the progress bar.",
    )


class _FolderFileHandler(logging.FileHandler):
    """A `FileHandler` that creates its file (and folder) on the first
    record, not before."""

    def __init__(self, path):
        super().__init__(path, mode="a", encoding="utf-8", delay=True)

    def _open(self):
        os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
        return super()._open()


@contextlib.contextmanager
def job_output(out, log_name, quiet=False, verbose=False, stream=None):
    """Sets up a long command's output; yields `(say, progress)`.

    `say(line)` is for the lines a person reads (the data, each finished
    row): on the terminal (above the bar) unless `quiet`, and in the log.
    `progress` is `None` or a callable taking the job's trial count and
    returning the `JobProgress` to advance (`None` with `quiet` or
    `verbose`).

    Args:
        out: str. Output folder; the log is `out/log_name`.
        log_name: str. File name of the log, e.g. "reproduce.log".
        quiet: bool. Show nothing on the terminal. Defaults to `False`.
        verbose: bool. Show every log line instead of the bar. Defaults
            to `False`.
        stream: file or `None`. The terminal. Defaults to `sys.stderr`.
    """
    stream = sys.stderr if stream is None else stream
    logger = logging.getLogger(PACKAGE_LOGGER)
    handlers = [_FolderFileHandler(os.path.join(out, log_name))]
    if verbose and not quiet:
        handlers.append(logging.StreamHandler(stream))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # no duplicates through the root logger
    lines = logging.getLogger(f"{PACKAGE_LOGGER}.cli")
    bar = []

    def progress(total):
        bar.append(JobProgress(total, stream=stream))
        return bar[-1]

    def say(line):
        lines.info(line)
        if quiet or verbose:
            return  # with --verbose the stream handler printed it
        if bar:
            bar[-1].write(line)
        else:
            print(line, file=stream, flush=True)

    try:
        yield say, (None if quiet or verbose else progress)
    finally:
        for item in bar:
            item.close()
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)
        logger.propagate = propagate

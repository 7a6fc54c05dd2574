"""One progress bar over a whole job: rows x grid cells x seeds."""

import sys
import time


class JobProgress:
    """A one-line progress bar over a job's trials, with lines above it.

    `reproduce` and `tune` advance it once per finished trial. On a
    terminal the bar is redrawn in place (`\\r`): trials done of the
    total, elapsed time, an estimate of the time left (from the mean time
    per finished trial so far) and the best validation score so far.
    `write` prints a line above the bar, e.g. one per finished row. Where
    the stream is not a terminal (a pipe, a log), the bar is not drawn and
    only the lines are written.

    Args:
        total: int or `None`. Trials in the whole job; `None` when not
            known in advance (Hyperband): no bar and no ETA, only counts.
        stream: file or `None`. Where to draw. Defaults to `sys.stderr`.
        enabled: bool. Draw the bar. Defaults to `None`: whether `stream`
            is a terminal.
        clock: callable returning seconds. Defaults to
            `time.perf_counter` (tests pass a fake one).

    Example:

    >>> import io
    >>> now = [0.0]
    >>> bar = JobProgress(4, stream=io.StringIO(), enabled=True,
    ...                   clock=lambda: now[0])
    >>> now[0] = 60.0
    >>> bar.advance(score=0.21, label="BPR")
    >>> bar.text()
    '[#####...............] 1/4 trials, 1:00 elapsed, ETA 3:00, best val Recall@10 0.2100 (BPR)'
    """

    WIDTH = 20

    def __init__(self, total, stream=None, enabled=None, clock=time.perf_counter):
        self.total = None if total is None else max(int(total), 0)
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.clock = clock
        self.start = clock()
        self.done = 0
        self.best = None  # (score, label)
        self._drawn = False

    def advance(self, steps=1, score=None, label=""):
        """Counts `steps` finished trials; `score` (validation Recall@10)
        becomes the best so far when it beats it."""
        self.done += steps
        if score is not None and (self.best is None or score > self.best[0]):
            self.best = (float(score), label)
        self.draw()

    def elapsed(self):
        """Seconds since the job started."""
        return self.clock() - self.start

    def eta(self):
        """Estimated seconds left, or `None` before the first trial."""
        if not self.done or self.total is None:
            return None
        left = max(self.total - self.done, 0)
        return self.elapsed() / self.done * left

    def text(self):
        """The bar's line."""
        if self.total is None:
            head = f"{self.done} trials"
        else:
            filled = self.WIDTH * min(self.done, self.total) // max(self.total, 1)
            head = (
                f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                f"{self.done}/{self.total} trials"
            )
        parts = [
            head,
            f"{clock_text(self.elapsed())} elapsed",
        ]
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {clock_text(eta)}")
        if self.best is not None:
            score, label = self.best
            parts.append(
                f"best val Recall@10 {score:.4f}" + (f" ({label})" if label else "")
            )
        return ", ".join(parts)

    def draw(self):
        """Redraws the bar in place (on a terminal)."""
        if self.enabled:
            self.stream.write("\r\033[K" + self.text())
            self.stream.flush()
            self._drawn = True

    def write(self, line):
        """Prints `line` above the bar."""
        if self._drawn:
            self.stream.write("\r\033[K")
        self.stream.write(line + "\n")
        self.stream.flush()
        self._drawn = False
        self.draw()

    def close(self):
        """Ends the bar's line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def clock_text(seconds):
    """`seconds` as m:ss, or h:mm:ss from an hour on.

    >>> clock_text(75), clock_text(3725)
    ('1:15', '1:02:05')
    """
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"

import io

from rnr_keras.job_progress import JobProgress
from rnr_keras.job_progress import clock_text


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _bar(total, stream=None, enabled=None):
    now = [0.0]
    bar = JobProgress(total, stream=stream or io.StringIO(), enabled=enabled,
                      clock=lambda: now[0])
    return bar, now


def test_counts_eta_and_best_score():
    bar, now = _bar(10, enabled=True)
    assert bar.eta() is None and "ETA" not in bar.text()
    now[0] = 30.0
    bar.advance(score=0.1, label="BPR")
    now[0] = 40.0
    bar.advance(score=0.05, label="SVD")
    # 2 trials in 40 s: 20 s each, 8 left.
    assert bar.eta() == 160.0
    text = bar.text()
    assert text.startswith("[####................] 2/10 trials")
    assert "0:40 elapsed" in text and "ETA 2:40" in text
    assert text.endswith("best val Recall@10 0.1000 (BPR)")


def test_a_trial_without_score_keeps_the_best():
    bar, _ = _bar(3, enabled=True)
    bar.advance(score=0.2, label="EASE")
    bar.advance(score=None, label="Popularity")
    assert bar.best == (0.2, "EASE") and bar.done == 2


def test_on_a_terminal_redraws_in_place_and_writes_lines_above():
    terminal = _Terminal()
    bar, _ = _bar(2, stream=terminal)
    assert bar.enabled
    bar.advance()
    bar.write("row done")
    bar.close()
    text = terminal.getvalue()
    assert text.count("\r\033[K") >= 2
    assert "row done\n" in text
    assert text.endswith("\n")


def test_not_a_terminal_writes_only_the_lines():
    stream = io.StringIO()
    bar, _ = _bar(2, stream=stream)
    assert not bar.enabled
    bar.advance(score=0.3)
    bar.write("row done")
    bar.close()
    assert stream.getvalue() == "row done\n"


def test_unknown_total_counts_without_bar_or_eta():
    bar, now = _bar(None, enabled=True)
    now[0] = 5.0
    bar.advance()
    assert bar.text().startswith("1 trials, 0:05 elapsed")
    assert "ETA" not in bar.text() and "[" not in bar.text()


def test_clock_text():
    assert clock_text(0) == "0:00"
    assert clock_text(59.6) == "1:00"
    assert clock_text(3600) == "1:00:00"

import ctypes
import io
import json
import os
import re
import sys
import time
import tracemalloc

import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras.datasets import yelp
from rnr_keras.datasets.yelp import REVIEW_FILE
from rnr_keras.datasets.yelp import load_yelp
from rnr_keras.datasets.yelp import read_reviews


def _review(user, business, stars, date, **extra):
    record = {
        "review_id": f"r-{user}-{business}",
        "user_id": user,
        "business_id": business,
        "stars": stars,
        "useful": 0,
        "funny": 0,
        "cool": 0,
        "text": 'Great "tacos" — très bon 🌮\nSecond line, {not json}',
        "date": date,
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def _write(folder, lines):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), REVIEW_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


DATE = "2020-01-01 00:00:00"
REVIEWS = [
    _review("u2", "bA", 5.0, "2018-01-01 00:00:00"),
    _review("u1", "bB", 1.0, "2005-05-11 13:51:10"),
    "",  # a blank line, skipped
    _review("u2", "bB", 3.0, "2018-01-02 00:00:00"),
    _review("u2", "bA", 2.0, "2019-01-01 00:00:00"),  # later duplicate
    _review("u3", "bC", 4.0, "2010-06-30 12:00:00"),
]


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNR_CACHE_DIR", str(tmp_path / "cache"))


class TestReadReviews:
    @pytest.mark.parametrize("chunk_lines", [1, 2, 50_000])
    def test_chunks_give_the_same_arrays(self, tmp_path, chunk_lines):
        path = _write(tmp_path, REVIEWS)
        users, user_ids, items, item_ids, ratings, times = read_reviews(
            path, chunk_lines=chunk_lines
        )
        assert user_ids[users].tolist() == ["u2", "u1", "u2", "u2", "u3"]
        assert item_ids[items].tolist() == ["bA", "bB", "bB", "bA", "bC"]
        assert ratings.tolist() == [5.0, 1.0, 3.0, 2.0, 4.0]
        assert times.tolist() == [
            1514764800,
            1115819470,
            1514851200,
            1546300800,
            1277899200,
        ]
        assert sorted(user_ids.tolist()) == ["u1", "u2", "u3"]

    def test_json_array_file(self, tmp_path):
        path = os.path.join(str(tmp_path), REVIEW_FILE)
        with open(path, "w") as f:
            json.dump([json.loads(REVIEWS[0]), json.loads(REVIEWS[1])], f)
        with pytest.raises(ValueError, match=rf"{path}, line 1: .*JSON array"):
            read_reviews(path)

    def test_pretty_printed_array(self, tmp_path):
        path = _write(tmp_path, ["[", REVIEWS[0] + ",", REVIEWS[1], "]"])
        with pytest.raises(ValueError, match="line 1: .*JSON Lines"):
            read_reviews(path)

    @pytest.mark.parametrize("chunk_lines", [2, 50_000])
    def test_broken_line_names_its_number(self, tmp_path, chunk_lines):
        lines = REVIEWS + [REVIEWS[1][:40]] + REVIEWS[:2]
        path = _write(tmp_path, lines)
        with pytest.raises(
            ValueError, match=rf"{path}, line 7: not valid JSON"
        ):
            read_reviews(path, chunk_lines=chunk_lines)

    def test_line_that_is_not_an_object(self, tmp_path):
        path = _write(tmp_path, REVIEWS[:2] + ['["u1", "bA", 5]'])
        with pytest.raises(ValueError, match="line 3: expected a JSON object"):
            read_reviews(path)

    def test_two_objects_on_one_line(self, tmp_path):
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[1] + ", " + REVIEWS[3]])
        with pytest.raises(ValueError, match="line 2: not valid JSON"):
            read_reviews(path)

    def test_missing_field(self, tmp_path):
        record = json.loads(REVIEWS[1])
        del record["user_id"]
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[3], json.dumps(record)])
        with pytest.raises(
            ValueError,
            match="line 3: `user_id` must be a string id. Received: missing",
        ):
            read_reviews(path)

    def test_stars_outside_scale(self, tmp_path):
        bad = _review("u9", "bZ", 6.0, "2018-01-01 00:00:00")
        path = _write(tmp_path, [REVIEWS[0], bad])
        with pytest.raises(
            ValueError,
            match=r"line 2: `stars` must be within .*1\.\.5. Received: 6.0",
        ):
            read_reviews(path)

    def test_stars_not_a_number(self, tmp_path):
        bad = _review("u9", "bZ", "five", "2018-01-01 00:00:00")
        path = _write(tmp_path, [REVIEWS[0], bad])
        with pytest.raises(
            ValueError, match="line 2: `stars` must be a number"
        ):
            read_reviews(path)

    def test_bad_date(self, tmp_path):
        bad = _review("u9", "bZ", 3, "01/02/2018")
        path = _write(tmp_path, [REVIEWS[0], REVIEWS[1], bad])
        with pytest.raises(
            ValueError, match="line 3: `date` must be a 'YYYY-MM-DD HH:MM:SS'"
        ):
            read_reviews(path, chunk_lines=2)

    def test_no_reviews(self, tmp_path):
        path = _write(tmp_path, ["", ""])
        with pytest.raises(ValueError, match="holds no reviews"):
            read_reviews(path)

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True])
    def test_bad_chunk_lines(self, tmp_path, bad):
        with pytest.raises(ValueError, match="`chunk_lines` must be"):
            read_reviews(_write(tmp_path, REVIEWS), chunk_lines=bad)


class TestLoadYelp:
    def test_fixture_cleaned(self, tmp_path):
        _write(tmp_path, REVIEWS)
        data = datasets.load("yelp", data_dir=tmp_path, min_interactions=2)
        assert data.name == "yelp"
        assert data.user_ids.tolist() == ["u2"]
        assert data.item_ids.tolist() == ["bA", "bB"]
        # The 2019 rating of (u2, bA) replaced the 2018 one.
        assert data.ratings.tolist() == [3.0, 2.0]

    def test_found_through_rnr_data_dir(self, tmp_path, monkeypatch):
        _write(tmp_path / "root" / "yelp", REVIEWS)
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "root"))
        data = datasets.load("yelp", min_interactions=0)
        assert (len(data), data.num_users, data.num_items) == (4, 3, 3)

    def test_missing_file_explains_terms_and_place(self, tmp_path, monkeypatch):
        monkeypatch.setenv("RNR_DATA_DIR", str(tmp_path / "root"))
        with pytest.raises(FileNotFoundError) as info:
            datasets.load("yelp")
        message = str(info.value)
        assert (
            os.path.join(str(tmp_path / "root"), "yelp", REVIEW_FILE) in message
        )
        assert "yelp.com/dataset" in message
        assert "$RNR_DATA_DIR/yelp/" in message and "data_dir" in message


class TestRealYelpSample:
    @pytest.mark.parametrize("threshold", [0, 1])
    def test_counts(self, real_data_dir, threshold):
        data = datasets.load(
            "yelp",
            data_dir=os.path.join(real_data_dir, "yelp-sample"),
            min_interactions=threshold,
        )
        assert (len(data), data.num_users, data.num_items) == (999, 993, 822)
        info = data.info()
        assert info["first_timestamp"] == 1115819470  # 2005-05-11 13:51:10
        assert info["last_timestamp"] == 1538669931  # 2018-10-04 16:18:51
        assert sum(info["rating_histogram"].values()) == 999

    def test_default_filter_empties_it(self, real_data_dir):
        with pytest.raises(ValueError, match=r"'yelp'.*min_interactions=4"):
            datasets.load(
                "yelp", data_dir=os.path.join(real_data_dir, "yelp-sample")
            )



def _cache_files(tmp_path):
    folder = tmp_path / "cache" / "yelp"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def _raw(data):
    """The rows of `Interactions` in raw ids, comparable across loads."""
    return (
        data.user_ids[data.users].tolist(),
        data.item_ids[data.items].tolist(),
        data.ratings.tolist(),
        data.timestamps.tolist(),
    )


def _no_parsing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the review file was parsed again")

    monkeypatch.setattr(yelp, "read_reviews", fail)


def _spy_clean(monkeypatch):
    """Records the raw arrays `load_yelp` hands to `clean`, and when."""
    calls = []
    real = yelp.clean

    def spy(users, items, ratings, timestamps, **kwargs):
        calls.append(
            {
                "time": time.perf_counter(),
                "users": users,
                "user_ids": kwargs["user_ids"],
                "items": items,
                "item_ids": kwargs["item_ids"],
                "ratings": ratings,
                "timestamps": timestamps,
            }
        )
        return real(users, items, ratings, timestamps, **kwargs)

    monkeypatch.setattr(yelp, "clean", spy)
    return calls


def _assert_same_arrays(got, want):
    for name in yelp._ARRAYS:
        assert got[name].dtype == want[name].dtype, name
        assert np.array_equal(got[name], want[name]), name


class TestCache:
    def test_second_load_reads_the_cache(self, tmp_path, monkeypatch):
        path = _write(tmp_path, REVIEWS)
        calls = _spy_clean(monkeypatch)
        first = load_yelp(tmp_path, min_interactions=0)
        (name,) = _cache_files(tmp_path)
        assert re.fullmatch(r"yelp_academic_dataset_review-\w{16}\.npz", name)
        _no_parsing(monkeypatch)
        second = load_yelp(tmp_path, min_interactions=0)
        assert _raw(second) == _raw(first)
        # The cache holds the rows before cleaning, exactly as parsed.
        parsed = dict(zip(yelp._ARRAYS, read_reviews(path)))
        _assert_same_arrays(calls[0], parsed)
        _assert_same_arrays(calls[1], parsed)
        # ... so any filter still applies to a cached load.
        filtered = load_yelp(tmp_path, min_interactions=2)
        assert filtered.user_ids.tolist() == ["u2"]

    def test_cache_holds_no_pickle(self, tmp_path):
        _write(tmp_path, REVIEWS)
        load_yelp(tmp_path, min_interactions=0)
        (name,) = _cache_files(tmp_path)
        path = tmp_path / "cache" / "yelp" / name
        with np.load(path, allow_pickle=False) as stored:
            assert all(stored[k].dtype != object for k in stored.files)

    @pytest.mark.parametrize("change", ["content", "touch"])
    def test_changed_file_is_parsed_again(self, tmp_path, monkeypatch, change):
        path = _write(tmp_path, REVIEWS)
        load_yelp(tmp_path, min_interactions=0)
        if change == "content":
            _write(tmp_path, REVIEWS + [_review("u4", "bD", 1, DATE)])
        else:  # same size, same content, a new modification time
            stat = os.stat(path)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        with pytest.warns(UserWarning, match="another version of its source"):
            data = load_yelp(tmp_path, min_interactions=0)
        assert ("u4" in data.user_ids.tolist()) == (change == "content")
        # The cache was rewritten for the new version, in the same file.
        assert len(_cache_files(tmp_path)) == 1
        _no_parsing(monkeypatch)
        assert _raw(load_yelp(tmp_path, min_interactions=0)) == _raw(data)

    @pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong rows"])
    def test_damaged_cache_warns_and_is_rewritten(
        self, tmp_path, monkeypatch, damage
    ):
        path = _write(tmp_path, REVIEWS)
        expected = _raw(load_yelp(tmp_path, min_interactions=0))
        (name,) = _cache_files(tmp_path)
        cache_path = str(tmp_path / "cache" / "yelp" / name)
        if damage == "wrong rows":  # readable, right key, codes out of range
            store = yelp.ArrayCache.for_file(path, "unused", yelp.FORMAT_VERSION)
            arrays = dict(zip(yelp._ARRAYS, read_reviews(path)))
            arrays["users"] = arrays["users"] + 10
            yelp.ArrayCache(cache_path, store.key).save(arrays)
        else:
            with open(cache_path, "rb") as f:
                content = f.read()
            if damage == "garbage":
                content = b"\x00garbage" * 100
            else:
                content = content[: len(content) // 2]
            with open(cache_path, "wb") as f:
                f.write(content)
        with pytest.warns(UserWarning, match=re.escape(cache_path)):
            data = load_yelp(tmp_path, min_interactions=0)
        assert _raw(data) == expected
        _no_parsing(monkeypatch)
        assert _raw(load_yelp(tmp_path, min_interactions=0)) == expected

    def test_cache_false_neither_reads_nor_writes(self, tmp_path, monkeypatch):
        _write(tmp_path, REVIEWS)
        data = load_yelp(tmp_path, min_interactions=0, cache=False)
        assert _cache_files(tmp_path) == []
        load_yelp(tmp_path, min_interactions=0)  # writes the cache
        (name,) = _cache_files(tmp_path)
        cache_path = tmp_path / "cache" / "yelp" / name
        before = os.stat(cache_path).st_mtime_ns
        parses = []
        real = yelp.read_reviews
        monkeypatch.setattr(
            yelp, "read_reviews", lambda *a, **k: parses.append(1) or real(*a, **k)
        )
        assert _raw(load_yelp(tmp_path, min_interactions=0, cache=False)) == (
            _raw(data)
        )
        assert parses == [1]
        assert os.stat(cache_path).st_mtime_ns == before

    @pytest.mark.parametrize("where", ["savez", "replace"])
    def test_failed_write_warns_and_leaves_nothing(
        self, tmp_path, monkeypatch, where
    ):
        _write(tmp_path, REVIEWS)
        expected = _raw(load_yelp(tmp_path, min_interactions=0, cache=False))

        def fail(*args, **kwargs):
            if where == "savez":  # a partial file, then the failure
                with open(args[0], "wb") as f:
                    f.write(b"PK\x03\x04half")
            raise OSError(28, "No space left on device")

        target = np if where == "savez" else os
        monkeypatch.setattr(target, where, fail)
        with pytest.warns(UserWarning, match="Could not write the cache file"):
            data = load_yelp(tmp_path, min_interactions=0)
        assert _raw(data) == expected
        assert _cache_files(tmp_path) == []  # no cache, no temporary file

    def test_interrupted_write_leaves_nothing(self, tmp_path, monkeypatch):
        _write(tmp_path, REVIEWS)

        def interrupt(tmp, **members):
            with open(tmp, "wb") as f:
                f.write(b"PK\x03\x04half")
            raise KeyboardInterrupt

        monkeypatch.setattr(np, "savez", interrupt)
        with pytest.raises(KeyboardInterrupt):
            load_yelp(tmp_path, min_interactions=0)
        assert _cache_files(tmp_path) == []

    def test_file_changed_while_read_is_not_cached(self, tmp_path, monkeypatch):
        path = _write(tmp_path, REVIEWS)
        real = yelp.read_reviews

        def read_then_touch(*args, **kwargs):
            arrays = real(*args, **kwargs)
            stat = os.stat(path)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
            return arrays

        monkeypatch.setattr(yelp, "read_reviews", read_then_touch)
        with pytest.warns(UserWarning, match="changed while it was read"):
            load_yelp(tmp_path, min_interactions=0)
        assert _cache_files(tmp_path) == []

    @pytest.mark.parametrize("arg", [{"cache": "yes"}, {"verbose": 1}])
    def test_bad_arguments(self, tmp_path, arg):
        _write(tmp_path, REVIEWS)
        with pytest.raises(ValueError, match=f"`{next(iter(arg))}` must be"):
            load_yelp(tmp_path, **arg)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class TestProgress:
    def test_verbose_prints_to_stderr(self, tmp_path, capsys):
        _write(tmp_path, REVIEWS)
        load_yelp(tmp_path, min_interactions=0, verbose=True)
        out, err = capsys.readouterr()
        assert out == ""
        size = os.path.getsize(os.path.join(str(tmp_path), REVIEW_FILE))
        assert f"{REVIEW_FILE}: reading {size / 1024:.1f} KB\n" in err
        assert f"{REVIEW_FILE}: read {size / 1024:.1f} KB, 6 lines in 0:00" in err
        assert "cached in" in err and "\r" not in err
        load_yelp(tmp_path, min_interactions=0, verbose=True)
        assert "5 reviews read from the cache" in capsys.readouterr().err

    def test_quiet_prints_nothing(self, tmp_path, capsys):
        path = _write(tmp_path, REVIEWS)
        load_yelp(tmp_path, min_interactions=0, verbose=False)  # parse
        load_yelp(tmp_path, min_interactions=0, verbose=False)  # cache
        read_reviews(path, chunk_lines=1, progress=False)
        assert capsys.readouterr() == ("", "")

    def test_default_is_verbose_for_large_files_only(
        self, tmp_path, capsys, monkeypatch
    ):
        path = _write(tmp_path, REVIEWS)
        read_reviews(path)
        assert capsys.readouterr() == ("", "")
        monkeypatch.setattr(yelp, "VERBOSE_BYTES", os.path.getsize(path) - 1)
        read_reviews(path)
        assert "6 lines in" in capsys.readouterr().err

    def test_log_gets_periodic_lines(self, tmp_path, capsys, monkeypatch):
        path = _write(tmp_path, REVIEWS)
        monkeypatch.setattr(yelp._Progress, "LOG_INTERVAL", 0.0)
        read_reviews(path, chunk_lines=2, progress=True)
        lines = capsys.readouterr().err.splitlines()
        # A start line, one per chunk of 2 lines, the totals.
        assert len(lines) == 5
        assert re.fullmatch(
            rf"{REVIEW_FILE}: \d+ B of [\d.]+ KB \(\d+%\), 2 lines, "
            r"[\d.]+ (B|KB|MB|GB)/s, 0:00 elapsed, ETA 0:00",
            lines[1],
        )
        assert "6 lines, " in lines[3] and "(100%)" in lines[3]

    def test_terminal_redraws_one_line(self, tmp_path, monkeypatch):
        path = _write(tmp_path, REVIEWS)
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        monkeypatch.setattr(yelp._Progress, "TTY_INTERVAL", 0.0)
        read_reviews(path, chunk_lines=2, progress=True)
        text = terminal.getvalue()
        assert text.count("\r\033[K") == 5
        assert text.count("\n") == 1 and text.endswith("\n")
        assert "6 lines in" in text.rsplit("\r\033[K", 1)[1]

    def test_error_ends_the_terminal_line(self, tmp_path, monkeypatch):
        path = _write(tmp_path, REVIEWS + ["{broken"])
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        with pytest.raises(ValueError, match="line 7: not valid JSON"):
            read_reviews(path, progress=True)
        assert terminal.getvalue().endswith("\n")

    @pytest.mark.parametrize("bad", ["yes", 1])
    def test_bad_progress(self, tmp_path, bad):
        with pytest.raises(ValueError, match="`progress` must be a bool or"):
            read_reviews(_write(tmp_path, REVIEWS), progress=bad)


# Yelp's ids: 22 characters of URL-safe base64.
_ALPHABET = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    dtype=np.uint8,
)
_WORDS = ["Great", '"tacos"', "très", "bon", "🌮", "service", "slow,",
          "back\nagain", "{not", "json}", "\\o/", "5/5", "ok"]


def _ids(rng, count, first=0):
    """`count` distinct Yelp-like ids, as an `S22` array."""
    chars = _ALPHABET[rng.integers(0, 64, size=(count, 22))]
    index = np.arange(first, first + count)
    for j in range(4):  # the first 4 characters spell the index
        chars[:, j] = _ALPHABET[(index >> (6 * j)) & 63]
    return chars.view("S22").ravel()


def _join(rows, *parts):
    """Row-wise concatenation of `bytes` constants and full-width `S`
    arrays, as one `S` array."""
    blocks = [
        np.broadcast_to(np.frombuffer(p, np.uint8), (rows, len(p)))
        if isinstance(p, bytes)
        else p.view(np.uint8).reshape(rows, p.itemsize)
        for p in parts
    ]
    matrix = np.concatenate(blocks, axis=1)
    return matrix.view(f"S{matrix.shape[1]}").ravel()


def _write_large_reviews(path, count, num_users, num_items, seed=0):
    """Writes `count` reviews in the Yelp review file's format; returns
    what a parser must find in them.

    Every field but the text has a fixed width, so a chunk of lines is
    built as one byte matrix; the texts (JSON string literals with
    quotes, escapes and non-ASCII) are drawn from a pool.
    """
    rng = np.random.default_rng(seed)
    user_table = _ids(rng, num_users)
    item_table = _ids(rng, num_items)
    texts = np.array(
        [
            json.dumps(
                " ".join(rng.choice(_WORDS, size=int(rng.integers(5, 100)))),
                ensure_ascii=False,
            ).encode()
            for _ in range(1000)
        ]
    )
    stars_text = np.array([b"1.0", b"2.0", b"3.0", b"4.0", b"5.0"])
    users = rng.integers(0, num_users, count)
    items = rng.integers(0, num_items, count)
    stars = rng.integers(1, 6, count)
    times = rng.integers(1104537600, 1640995200, count)  # 2005..2021
    with open(path, "wb") as f:
        for start in range(0, count, 100_000):
            rows = slice(start, min(start + 100_000, count))
            m = rows.stop - rows.start
            dates = np.datetime_as_string(
                times[rows].astype("datetime64[s]")
            ).astype("S19")
            dates.view(np.uint8).reshape(m, 19)[:, 10] = ord(" ")
            votes = rng.integers(0, 10, (3, m)).astype("S1")
            head = _join(
                m,
                b'{"review_id":"', _ids(rng, m, first=start),
                b'","user_id":"', user_table[users[rows]],
                b'","business_id":"', item_table[items[rows]],
                b'","stars":', stars_text[stars[rows] - 1],
                b',"useful":', votes[0],
                b',"funny":', votes[1],
                b',"cool":', votes[2],
                b',"text":',
            )
            tail = _join(m, b',"date":"', dates, b'"}\n')
            lines = np.char.add(
                np.char.add(head, texts[rng.integers(0, len(texts), m)]), tail
            )
            f.write(b"".join(lines.tolist()))
    return {
        "user_table": user_table,
        "item_table": item_table,
        "users": users,
        "items": items,
        "stars": stars,
        "times": times,
    }


def _peak_memory(fn):
    """`fn()` and the most memory (bytes) it used above its start.

    On Linux: the peak resident set size, reset before the call. Elsewhere
    `tracemalloc` (slower; counts only traced allocations).
    """
    try:
        # Hand freed heap back first, so that `fn` cannot reuse it unseen.
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak, to the current size
        before = _proc_status("VmRSS")
    except OSError:
        tracemalloc.start()
        try:
            return fn(), tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    result = fn()
    return result, _proc_status("VmHWM") - before


def _proc_status(field):
    with open("/proc/self/status") as f:
        text = f.read()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) * 1024


class TestLargeFile:
    @pytest.mark.large
    def test_multi_million_line_file(self, tmp_path, monkeypatch):
        count, num_users, num_items = 2_000_000, 200_000, 20_000
        path = os.path.join(str(tmp_path), REVIEW_FILE)
        start = time.perf_counter()
        truth = _write_large_reviews(path, count, num_users, num_items)
        generated_s = time.perf_counter() - start
        size = os.path.getsize(path)
        calls = _spy_clean(monkeypatch)
        parses = []
        real = yelp.read_reviews

        def measured(*args, **kwargs):
            start = time.perf_counter()
            arrays, peak = _peak_memory(lambda: real(*args, **kwargs))
            parses.append((time.perf_counter() - start, peak))
            return arrays

        monkeypatch.setattr(yelp, "read_reviews", measured)
        start = time.perf_counter()
        first, load_peak = _peak_memory(
            lambda: load_yelp(tmp_path, min_interactions=0, verbose=False)
        )
        first_s = time.perf_counter() - start
        ((parse_s, parse_peak),) = parses
        raw = calls[0]

        # Rows and values are the generator's, ids in order of appearance.
        assert len(raw["users"]) == count
        assert np.array_equal(
            raw["user_ids"].astype("S22")[raw["users"]],
            truth["user_table"][truth["users"]],
        )
        assert np.array_equal(
            raw["item_ids"].astype("S22")[raw["items"]],
            truth["item_table"][truth["items"]],
        )
        _, seen_first = np.unique(truth["users"], return_index=True)
        assert np.array_equal(
            raw["user_ids"].astype("S22"),
            truth["user_table"][truth["users"][np.sort(seen_first)]],
        )
        assert np.array_equal(raw["ratings"], truth["stars"].astype(np.float32))
        assert np.array_equal(raw["timestamps"], truth["times"])
        pairs = truth["users"] * num_items + truth["items"]
        assert len(first) == len(np.unique(pairs))  # duplicates: latest kept

        # Streaming: parsing holds the result and one chunk, never the
        # review texts, so its memory stays far below the file's size.
        assert parse_peak < size / 3, (parse_peak, size)

        _no_parsing(monkeypatch)
        start = time.perf_counter()
        second = load_yelp(tmp_path, min_interactions=0, verbose=False)
        cached_s = calls[1]["time"] - start  # until the rows are read
        second_s = time.perf_counter() - start
        _assert_same_arrays(calls[1], raw)
        for name in ("users", "items", "ratings", "timestamps", "user_ids"):
            assert np.array_equal(getattr(second, name), getattr(first, name))
        assert cached_s < parse_s / 5, (cached_s, parse_s)
        print(
            f"\n{count:,} lines, {size / 2**20:.0f} MB, generated in "
            f"{generated_s:.1f} s; parsed in {parse_s:.1f} s (peak +"
            f"{parse_peak / 2**20:.0f} MB; first load {first_s:.1f} s, "
            f"peak +{load_peak / 2**20:.0f} MB); cache read in "
            f"{cached_s:.2f} s (second load {second_s:.1f} s)"
        )

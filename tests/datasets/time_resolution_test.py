import numpy as np
import pytest

from rnr_keras import datasets
from rnr_keras import protocol
from rnr_keras.datasets import Interactions
from rnr_keras.datasets import order_statistics
from rnr_keras.datasets import round_timestamps
from rnr_keras.datasets.time_resolution import check_resolution
from rnr_keras.datasets.time_resolution import floor_timestamps

DAY = 86_400


def _sessions(num_users=6, days=4, per_day=8, seed=0):
    """Each user rates `per_day` distinct items on each of `days` days, a
    minute apart, the rows of each day in chronological order."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for user in range(num_users):
        chosen = rng.permutation(days * per_day * 2)[: days * per_day]
        for day in range(days):
            for slot in range(per_day):
                users.append(user)
                items.append(chosen[day * per_day + slot])
                times.append((10 + 3 * day) * DAY + 3_600 + 60 * slot)
    return Interactions(
        users,
        items,
        ratings=rng.integers(1, 6, len(users)),
        timestamps=times,
        user_ids=np.arange(num_users) + 100,
        item_ids=np.arange(days * per_day * 2) + 1000,
        name="sessions",
    )


def _rows(data):
    """The rows as a sorted list of (user, item, rating, timestamp)."""
    return sorted(
        zip(
            data.users.tolist(),
            data.items.tolist(),
            data.ratings.tolist(),
            data.timestamps.tolist(),
        )
    )


def _held_out_items(data):
    split = protocol.all_but_last_one(data, n_users=data.num_users, seed=0)
    held = {}
    for part in (split.val, split.test):
        held.update(zip(part.users.tolist(), part.items.tolist()))
    return held


class TestCheckResolution:
    @pytest.mark.parametrize("bad", ["month", "Day", 86400, None])
    def test_bad_value_names_it_and_the_choices(self, bad):
        with pytest.raises(ValueError) as info:
            check_resolution(bad, arg="time_resolution")
        message = str(info.value)
        assert f"Received: time_resolution={bad!r}" in message
        for name in ("'second'", "'hour'", "'day'", "'week'"):
            assert name in message

    def test_good_values(self):
        for name in datasets.RESOLUTIONS:
            assert check_resolution(name) == name


class TestFloorTimestamps:
    def test_hand_computed(self):
        times = [0, 3_599, 3_600, DAY - 1, DAY, DAY + 7_300]
        assert floor_timestamps(times, "second").tolist() == times
        assert floor_timestamps(times, "hour").tolist() == [
            0, 0, 3_600, DAY - 3_600, DAY, DAY + 7_200,
        ]
        assert floor_timestamps(times, "day").tolist() == [
            0, 0, 0, 0, DAY, DAY,
        ]

    def test_weeks_start_on_monday_utc(self):
        monday = 4 * DAY  # 1970-01-05, the first Monday after the epoch
        times = [monday - 1, monday, monday + 7 * DAY - 1, monday + 7 * DAY]
        assert floor_timestamps(times, "week").tolist() == [
            monday - 7 * DAY, monday, monday, monday + 7 * DAY,
        ]


class TestRoundTimestamps:
    def test_second_is_identity(self):
        data = _sessions()
        assert round_timestamps(data, "second", seed=5) is data

    def test_day_floors_and_keeps_rows_and_index_space(self):
        data = _sessions()
        coarse = round_timestamps(data, "day")
        assert np.all(coarse.timestamps % DAY == 0)
        floored = Interactions(
            data.users, data.items, data.ratings,
            data.timestamps // DAY * DAY,
        )
        assert _rows(coarse) == _rows(floored)
        assert (coarse.num_users, coarse.num_items) == (
            data.num_users, data.num_items,
        )
        np.testing.assert_array_equal(coarse.user_ids, data.user_ids)
        np.testing.assert_array_equal(coarse.item_ids, data.item_ids)
        assert coarse.name == "sessions"
        # The input is not modified.
        assert data.timestamps[0] % DAY == 3_600

    def test_deterministic_for_a_seed(self):
        data = _sessions()
        first = round_timestamps(data, "day", seed=3)
        second = round_timestamps(data, "day", seed=3)
        other = round_timestamps(data, "day", seed=4)
        for name in ("users", "items", "ratings", "timestamps"):
            np.testing.assert_array_equal(
                getattr(first, name), getattr(second, name)
            )
        assert not np.array_equal(first.items, other.items)

    def test_input_order_is_shuffled(self):
        data = _sessions()
        coarse = round_timestamps(data, "day", seed=0)
        # Within each (user, day) the surviving input order of the items
        # is no longer the chronological one for most days.
        kept = 0
        for user in range(data.num_users):
            for day in np.unique(coarse.timestamps):
                rows = (coarse.users == user) & (coarse.timestamps == day)
                original = data.items[
                    (data.users == user)
                    & (data.timestamps // DAY * DAY == day)
                ]
                kept += np.array_equal(coarse.items[rows], original)
        assert kept <= 2

    def test_within_day_order_does_not_decide_the_held_out_item(self):
        data = _sessions(per_day=8)
        fine = _held_out_items(data)
        draws = [
            _held_out_items(round_timestamps(data, "day", seed=seed))
            for seed in range(20)
        ]
        for user in range(data.num_users):
            picked = {draw[user] for draw in draws}
            # A planted last item would be picked every time; with the
            # shuffle, several of the user's 8 items of that day are.
            assert len(picked) >= 3
            # ... and all of them from the user's last day.
            last_day = data.items[
                (data.users == user)
                & (data.timestamps >= data.timestamps[data.users == user].max()
                   // DAY * DAY)
            ]
            assert picked <= set(last_day.tolist())
            assert fine[user] in last_day

    def test_day_order_is_kept(self):
        data = _sessions(days=5)
        day_of = {
            (u, i): t // DAY
            for u, i, t in zip(
                data.users.tolist(), data.items.tolist(),
                data.timestamps.tolist(),
            )
        }
        coarse = round_timestamps(data, "day", seed=1)
        # A user's history in the order models read it: by timestamp, ties
        # in input order.
        order = np.lexsort(
            (np.arange(len(coarse)), coarse.timestamps, coarse.users)
        )
        for user in range(data.num_users):
            rows = order[coarse.users[order] == user]
            days = [day_of[(user, i)] for i in coarse.items[rows].tolist()]
            assert days == sorted(days)
            assert len(set(days)) == 5

    @pytest.mark.parametrize("bad", [-1, 1.5, True, "0"])
    def test_bad_seed(self, bad):
        with pytest.raises(ValueError, match=f"Received: seed={bad!r}"):
            round_timestamps(_sessions(), "day", seed=bad)

    def test_bad_resolution(self):
        with pytest.raises(ValueError, match="Received: resolution='month'"):
            round_timestamps(_sessions(), "month")

    def test_empty_data(self):
        empty = Interactions([], [], num_users=2, num_items=3)
        coarse = round_timestamps(empty, "day")
        assert len(coarse) == 0 and coarse.num_items == 3


class TestOrderStatistics:
    def test_hand_made(self):
        # User 0: two rows in one second, a third on the next day.
        # User 1: its last two rows share a second and a day.
        # User 2: one row, not counted.
        data = Interactions(
            users=[0, 1, 0, 1, 0, 1, 2],
            items=[0, 0, 1, 1, 2, 2, 0],
            timestamps=[50, 10, 50, 20, DAY + 5, 20, 7],
        )
        stats = order_statistics(data)
        assert stats["users"] == 2
        assert stats["second"] == {
            "last_two_tied": 0.5,
            "tied_rows": 4 / 6,
            "median_per_time": pytest.approx((1.5 + 1.5) / 2),
        }
        assert stats["day"] == {
            "last_two_tied": 0.5,
            "tied_rows": 5 / 6,
            "median_per_time": pytest.approx((1.5 + 3.0) / 2),
        }

    def test_no_ties(self):
        data = Interactions(users=[0, 0, 1, 1], items=[0, 1, 0, 1],
                            timestamps=[1, 2, 3, DAY])
        stats = order_statistics(data, ("second", "week"))
        assert stats["second"] == {
            "last_two_tied": 0.0, "tied_rows": 0.0, "median_per_time": 1.0,
        }
        assert stats["week"]["last_two_tied"] == 1.0

    def test_matches_rounded_data(self):
        data = _sessions()
        coarse = round_timestamps(data, "day", seed=2)
        assert order_statistics(coarse, ("second",))["second"] == (
            order_statistics(data, ("day",))["day"]
        )

    def test_nobody_with_two_interactions(self):
        data = Interactions(users=[0, 1], items=[0, 0])
        assert order_statistics(data) == {
            "users": 0, "second": None, "day": None,
        }

    def test_bad_resolution(self):
        with pytest.raises(ValueError, match="'fortnight'"):
            order_statistics(_sessions(), ("second", "fortnight"))

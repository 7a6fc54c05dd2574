import numpy as np
import pytest

from rnr_keras.datasets.cleaning import clean


def _rows():
    # user, item, rating, timestamp
    return (
        np.array([30, 30, 30, 30, 10, 10, 20]),
        np.array([5, 5, 6, 7, 5, 6, 9]),
        np.array([1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0]),
        np.array([100, 50, 60, 70, 10, 20, 30]),
    )


class TestClean:
    def test_duplicate_keeps_largest_timestamp(self):
        users, items, ratings, times = _rows()
        data = clean(users, items, ratings, times, min_interactions=0)
        # (30, 5) appears at t=100 (rating 1) and t=50 (rating 2).
        assert len(data) == 6
        frame = data.to_frame(raw_ids=True)
        row = frame[(frame.user == 30) & (frame.item == 5)]
        assert row.rating.tolist() == [1.0]
        assert row.timestamp.tolist() == [100]

    def test_duplicate_tie_keeps_later_row(self):
        data = clean(
            [1, 1, 1], [2, 2, 3], [4.0, 5.0, 3.0], [7, 7, 1], min_interactions=0
        )
        assert data.ratings.tolist() == [5.0, 3.0]

    def test_min_interactions_drops_users_and_orphan_items(self):
        users, items, ratings, times = _rows()
        data = clean(users, items, ratings, times, min_interactions=2)
        # After dedupe: user 30 has 3 items, user 10 has 2, user 20 has 1.
        assert data.user_ids.tolist() == [10, 30]
        # Item 9 only had user 20's rating.
        assert data.item_ids.tolist() == [5, 6, 7]
        assert data.num_users == 2 and data.num_items == 3
        np.testing.assert_array_equal(data.user_counts(), [2, 3])

    def test_threshold_counts_after_dedupe(self):
        # Three rows but only two distinct items: not enough for 3.
        with pytest.raises(ValueError, match="min_interactions=3"):
            clean(
                [1, 1, 1], [2, 2, 3], [1, 2, 3], [1, 2, 3], min_interactions=3
            )

    @pytest.mark.parametrize("threshold", [0, 1])
    def test_zero_and_one_keep_everyone(self, threshold):
        users, items, ratings, times = _rows()
        data = clean(users, items, ratings, times, min_interactions=threshold)
        assert data.num_users == 3 and data.num_items == 4

    def test_indices_follow_sorted_raw_ids_rows_keep_input_order(self):
        users, items, ratings, times = _rows()
        data = clean(users, items, ratings, times, min_interactions=0)
        assert data.user_ids.tolist() == [10, 20, 30]
        assert data.item_ids.tolist() == [5, 6, 7, 9]
        # Input order, row 1 (the older duplicate) removed.
        assert data.users.tolist() == [2, 2, 2, 0, 0, 1]
        assert data.items.tolist() == [0, 1, 2, 0, 1, 3]
        assert data.timestamps.tolist() == [100, 60, 70, 10, 20, 30]
        assert data.users.dtype == np.int32

    def test_codes_with_vocabulary(self):
        data = clean(
            [0, 1, 0],
            [0, 0, 1],
            [1, 2, 3],
            [1, 2, 3],
            user_ids=np.array(["zed", "amy"], dtype=object),
            item_ids=np.array(["b", "a"], dtype=object),
            min_interactions=0,
            name="t",
        )
        assert data.user_ids.tolist() == ["amy", "zed"]
        assert data.item_ids.tolist() == ["a", "b"]
        assert data.users.tolist() == [1, 0, 1]
        assert data.items.tolist() == [1, 1, 0]
        assert data.name == "t"

    def test_empty_after_filter_names_dataset_and_threshold(self):
        with pytest.raises(ValueError, match=r"'toy'.*min_interactions=4"):
            clean(
                [1, 2], [1, 1], [1, 1], [1, 2], min_interactions=4, name="toy"
            )

    def test_no_rows(self):
        with pytest.raises(ValueError, match="no interactions"):
            clean([], [], [], [], min_interactions=0, name="toy")

    @pytest.mark.parametrize("bad", [-1, 1.5, True, "4"])
    def test_bad_min_interactions(self, bad):
        with pytest.raises(ValueError, match="`min_interactions` must be"):
            clean([1], [1], [1], [1], min_interactions=bad)

    def test_unsortable_mixed_ids(self):
        with pytest.raises(ValueError, match="raw user ids cannot be sorted"):
            clean(
                [0, 1],
                [0, 0],
                [1, 1],
                [1, 2],
                user_ids=np.array([1, "a"], dtype=object),
                item_ids=np.array([3]),
                min_interactions=0,
            )

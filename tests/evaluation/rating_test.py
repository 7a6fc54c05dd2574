import math

import keras
import numpy as np
import pytest

from rnr_keras.datasets import Interactions
from rnr_keras.evaluation import evaluate_rating


def heldout():
    return Interactions(
        users=[0, 1, 2, 2], items=[1, 0, 2, 1], ratings=[4.0, 2.0, 5.0, 1.0]
    )


class TestEvaluateRating:
    def test_hand_case(self):
        # Errors: +1, -2, 0, +3.
        predictions = {(0, 1): 5.0, (1, 0): 0.0, (2, 2): 5.0, (2, 1): 4.0}

        def predict(users, items):
            pairs = zip(users.tolist(), items.tolist())
            return np.array([predictions[pair] for pair in pairs])

        result = evaluate_rating(predict, heldout())
        assert result["rmse"] == pytest.approx(math.sqrt((1 + 4 + 0 + 9) / 4))
        assert result["mae"] == pytest.approx((1 + 2 + 0 + 3) / 4)
        assert set(result) == {"rmse", "mae"}

    def test_object_with_predict_rating_and_column_tensor(self):
        class Model:
            def predict_rating(self, users, items):
                return keras.ops.reshape(
                    keras.ops.convert_to_tensor(
                        users.astype("float32") + items.astype("float32")
                    ),
                    (-1, 1),
                )

        # Predictions 1, 1, 4, 3 for ratings 4, 2, 5, 1.
        result = evaluate_rating(Model(), heldout())
        assert result["mae"] == pytest.approx((3 + 1 + 1 + 2) / 4)

    def test_batches_give_the_same_result(self):
        calls = []

        def predict(users, items):
            calls.append(len(users))
            return users * 1.5 - items

        whole = evaluate_rating(predict, heldout())
        batched = evaluate_rating(predict, heldout(), batch_size=3)
        assert calls == [4, 3, 1]
        assert batched == pytest.approx(whole)

    def test_perfect_predictions(self):
        data = heldout()
        result = evaluate_rating(lambda u, i: data.ratings, data)
        assert result == {"rmse": 0.0, "mae": 0.0}

    def test_wrong_shape(self):
        with pytest.raises(ValueError, match=r"\(4,\).*shape \(4, 2\)"):
            evaluate_rating(lambda u, i: np.zeros((4, 2)), heldout())

    def test_nan_prediction_names_the_pair(self):
        with pytest.raises(ValueError, match="user 2 for item 2 is NaN"):
            evaluate_rating(
                lambda u, i: np.array([1.0, 1.0, np.nan, 1.0]), heldout()
            )

    def test_empty_heldout(self):
        empty = Interactions(users=[], items=[], num_users=1, num_items=1)
        with pytest.raises(ValueError, match="`heldout` has no rows"):
            evaluate_rating(lambda u, i: u, empty)

    def test_bad_batch_size(self):
        with pytest.raises(ValueError, match="Received: batch_size=0"):
            evaluate_rating(lambda u, i: u, heldout(), batch_size=0)

    def test_not_callable(self):
        with pytest.raises(TypeError, match="`model_or_predict_fn` must be"):
            evaluate_rating(3, heldout())

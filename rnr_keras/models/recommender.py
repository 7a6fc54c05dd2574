"""Common API of every zoo model: score, recommend, adapt, presets."""

import keras
import numpy as np
from keras import ops

from rnr_keras.api_export import rnr_export
from rnr_keras.datasets.interactions import Interactions
from rnr_keras.inputs.interaction_history import InteractionHistory
from rnr_keras.layers.head_context import HeadContext
from rnr_keras.validation import check_positive_int


@rnr_export
class Recommender(keras.Model):
    """Base class of zoo models.

    Gives every model the same serving API:
    - `adapt(train)`: hands the model its training data (an
      `Interactions`): what `recommend` excludes and what history-reading
      heads (CDAE's row, SVD++'s implicit feedback, EASE) read. On a fresh
      model it also fits the data statistics (SVD's mean rating,
      Popularity's counts, EASE's item weights); on a model whose weights
      were loaded (a `.keras` file, a preset, a checkpoint) it never
      changes a weight. The data is not part of the config or the weights:
      a saved model carries no training interactions, and a model loaded
      with `keras.saving.load_model` gets its data back with
      `model.adapt(train)`, then scores exactly as before saving.
    - `score(user_indices)`: `(n, num_items)` scores for a full ranking.
    - `recommend(user_indices, k=10, exclude="train")`: top-k items.
    - `save_to_preset(path)` / `from_preset(name_or_path, data="auto")`:
      zoo presets (see `rnr_keras.zoo`).

    Subclasses implement `score_batch(users)` on a tensor of user indices
    and may implement `fit_statistics(train)`.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
    """

    #: Whether `fit` trains the model; False for models fitted in closed
    #: form by `adapt` (Popularity, EASE).
    trained_by_fit = True

    def __init__(self, num_users: int, num_items: int, **kwargs):
        # Configs written before the data left the model carry the size of
        # the stored history; it no longer means anything.
        kwargs.pop("history_size", None)
        super().__init__(**kwargs)
        self.num_users = check_positive_int("num_users", num_users)
        self.num_items = check_positive_int("num_items", num_items)
        self.check_size(self.num_users, self.num_items)
        self.interaction_history = None
        self.training_interactions = None
        #: Why the model has no training data, when it came from a preset
        #: that could not find it (see `from_preset`); `None` otherwise.
        self.missing_history_reason = None
        self._statistics_fitted = False
        self._context = None

    @property
    def uses_history(self):
        """Whether `score` reads the training data given to `adapt`."""
        return False

    @property
    def scores_from_items(self):
        """Whether the model scores a user who is not in the training data
        from their items alone (`recommend_for_items`): exactly, where a
        user's scores depend on them only through their items (sequence
        rankers such as SASRec, Transition, EASE, Popularity), or by
        folding the user in, solving for their learnt per-user weights
        with every item weight fixed (BPR, WRMF, CDAE, SVD, SVD++ and the
        Vanilla/RnR models built from them). False by default."""
        return False

    @classmethod
    def check_size(cls, num_users, num_items):
        """Raises a ValueError if the model cannot be built for
        `num_users` x `num_items` (EASE's dense item x item matrix beyond
        its limit); nothing by default. `Recommender.__init__` calls it,
        and `reproduce` asks it before the run to leave such rows out."""

    def check_interactions(self, interactions, argument="interactions"):
        """Raises if `interactions` is not in this model's index space."""
        if (
            interactions.num_users != self.num_users
            or interactions.num_items != self.num_items
        ):
            raise ValueError(
                f"`{argument}` does not match the model: the model has "
                f"num_users={self.num_users}, num_items={self.num_items}; "
                f"`{argument}` has num_users={interactions.num_users}, "
                f"num_items={interactions.num_items}"
            )

    def adapt(self, train, refit: bool = False):
        """Hands the model its training data. Returns self.

        Call before `fit` with the training part of the split, and after
        loading a saved model. The first call on a fresh model also fits
        the data statistics (`fit_statistics`); later calls, and calls on
        a model whose weights were loaded, change no weight unless
        `refit=True`.

        Args:
            train: `Interactions` in the model's index space.
            refit: bool. Fit the data statistics again from `train`.
                Defaults to `False`.
        """
        self.check_interactions(train, "train")
        if len(train) == 0:
            raise ValueError("`train` is empty")
        self.interaction_history = InteractionHistory(train)
        #: The `Interactions` given to `adapt` (`None` before).
        self.training_interactions = train
        self.missing_history_reason = None
        self._context = None
        # Traced functions captured the previous data.
        self.train_function = self.test_function = self.predict_function = None
        if refit or not self._statistics_fitted:
            self.fit_statistics(train)
            self._statistics_fitted = True
        return self

    def fit_statistics(self, train):
        """Sets weights computed from the data, not learnt (default none)."""

    def load_own_variables(self, store):
        # Weights came from a file: `adapt` must not overwrite them.
        super().load_own_variables(store)
        self._statistics_fitted = True

    def require_history(self, what="this call"):
        """The `InteractionHistory`; raises `ValueError` saying why and how
        to provide it when there is none."""
        if self.interaction_history is None:
            how = self.missing_history_reason or (
                "call `model.adapt(train)` first (a model loaded from a "
                ".keras file or a preset does not carry its training data; "
                "`adapt` never changes trained weights)."
            )
            raise ValueError(
                f"{type(self).__name__} needs its training data for {what}: "
                f"{how}"
            )
        return self.interaction_history

    def context(self, users):
        """The `HeadContext` of a batch of users (one per batch)."""
        if self._context is None or self._context.users is not users:
            self._context = HeadContext(
                users, self.interaction_history, owner=type(self).__name__
            )
            if self.interaction_history is None and self.missing_history_reason:
                self._context.owner += f" ({self.missing_history_reason})"
        return self._context

    def score_batch(self, users):
        """`(B, num_items)` scores for a tensor of user indices."""
        raise NotImplementedError

    def _user_array(self, user_indices):
        users = np.asarray(user_indices)
        if users.ndim != 1 or (len(users) and not np.issubdtype(users.dtype, np.integer)):
            raise ValueError(
                "`user_indices` must be a 1-D array of integer user indices. "
                f"Received shape {users.shape}, dtype {users.dtype}"
            )
        if len(users) and (users.min() < 0 or users.max() >= self.num_users):
            bad = users[(users < 0) | (users >= self.num_users)][0]
            raise ValueError(
                f"`user_indices` holds {bad}, outside [0, {self.num_users})"
            )
        return users.astype(np.int32)

    def score(self, user_indices, batch_size: int = 1024):
        """Scores every item for each user; higher ranks first.

        Args:
            user_indices: 1-D int array of user indices.
            batch_size: int. Users scored at once. Defaults to 1024.

        Returns:
            float32 NumPy array `(len(user_indices), num_items)`.
        """
        users = self._user_array(user_indices)
        batch_size = check_positive_int("batch_size", batch_size)
        if self.uses_history:
            self.require_history("scoring")
        out = np.empty((len(users), self.num_items), dtype=np.float32)
        for start in range(0, len(users), batch_size):
            batch = ops.convert_to_tensor(users[start : start + batch_size])
            out[start : start + batch_size] = ops.convert_to_numpy(
                self.score_batch(batch)
            )
        return out

    def recommend(
        self,
        user_indices,
        k: int = 10,
        exclude="train",
        exclude_seen=None,
    ):
        """Top-`k` items per user.

        Args:
            user_indices: 1-D int array of user indices.
            k: int. Items per user. Defaults to 10.
            exclude: "train" (the data given to `adapt`), an `Interactions`
                whose items to leave out for their users, or `None`
                (nothing). Defaults to "train".
            exclude_seen: bool or `None`. The earlier spelling:
                `True` is `exclude="train"`, `False` is `exclude=None`.

        Returns:
            `(items, scores)`: int32 and float32 arrays `(n, k)`, best first.
            A user with fewer than `k` items left gets item -1 with score
            -inf in the slots left over.
        """
        if exclude_seen is not None:
            exclude = "train" if exclude_seen else None
        k = check_positive_int("k", k)
        users = self._user_array(user_indices)
        if isinstance(exclude, str) and exclude == "train":
            history = self.require_history("`recommend(exclude='train')`")
        elif isinstance(exclude, Interactions):
            self.check_interactions(exclude, "exclude")
            history = InteractionHistory(exclude)
        elif exclude is None:
            history = None
        else:
            raise ValueError(
                "`exclude` must be 'train', an `Interactions` or None. "
                f"Received: exclude={exclude!r}"
            )
        scores = self.score(users)
        if history is not None:
            row, items, _ = history.entries(ops.convert_to_tensor(users))
            scores[ops.convert_to_numpy(row), ops.convert_to_numpy(items)] = -np.inf
        return self._top_k(scores, k)

    def recommend_for_items(
        self, items, k: int = 10, exclude_given: bool = True, ratings=None
    ):
        """Top-`k` items for users given by their items, without retraining.

        For a user who is not in the training data (or whose latest items
        are newer than it). How each model scores such a user:

        | Model | A new user is |
        | --- | --- |
        | SASRec (and Vanilla/RnR with it) | its encoding of the items, oldest first |
        | Transition, EASE, Popularity | the items as their training history |
        | BPR (also as Vanilla/RnR's R) | p_u minimising BPR's loss on the items (Newton) |
        | WRMF (also as R) | p_u from WRMF's ALS user step (closed form) |
        | CDAE (also as R) | the items as the row, user node 0 |
        | SVD | `ratings` fitted: ridge on [p_u, b_u]; none: p_u = 0, b_u = 0 |
        | SVD++ | as SVD, on top of the items' implicit term (alone without ratings) |

        A ranker's fold-in solves for the user's part of its own training
        objective (its settings and `l2` included) with every item weight
        fixed, so a training user's own items give back most of their
        learnt ranking (see each head's `fold_in`). In a multi-task model
        R ranks, so the user is folded into R, on the raw I as R scores.
        A rater fits the given ratings under a prior with the spread of
        the learnt users (`SVDRater.fold_in`: the training objective's own
        ridge, far weaker than early stopping, overfits them).
        Models that cannot score a new user (`scores_from_items` False)
        raise `ValueError`.

        Args:
            items: a sequence of item indices (one user, oldest first) or a
                list of such sequences (one per user).
            k: int. Items per user. Defaults to 10.
            exclude_given: bool. Whether to leave out the given items.
                Defaults to `True`.
            ratings: `None`, or the ratings of `items`, in the same shape.
                Read only by rater-only models (SVD, SVD++), which then fit
                them; every other model ranks from the items alone.
                Defaults to `None`.

        Returns:
            `(items, scores)` as `recommend`: `(n, k)` arrays, best first
            (n = 1 for a single sequence).

        Example:

        >>> from rnr_keras.datasets import Interactions
        >>> from rnr_keras.models import Popularity
        >>> train = Interactions(users=[0, 1, 1], items=[1, 1, 2])
        >>> model = Popularity(num_users=2, num_items=3).adapt(train)
        >>> model.recommend_for_items([1], k=2)[0].tolist()
        [[2, 0]]
        """
        if not self.scores_from_items:
            raise ValueError(
                f"{type(self).__name__} scores a user through a learnt "
                "per-user weight and has no fold-in for a new user, so it "
                "cannot score a user from their items alone. "
                "`recommend_for_items` works for SASRec, Transition, EASE, "
                "Popularity, BPR, WRMF, CDAE, SVD, SVD++ and the Vanilla/RnR "
                "models built from them."
            )
        k = check_positive_int("k", k)
        histories, given_ratings = self._item_lists(items, ratings)
        scores = np.empty((len(histories), self.num_items), dtype=np.float32)
        for start in range(0, len(histories), self._new_users_batch):
            end = start + self._new_users_batch
            given = self._given_interactions(
                histories[start:end],
                None if given_ratings is None else given_ratings[start:end],
            )
            scores[start:end] = ops.convert_to_numpy(
                self.score_new_users(given, rated=given_ratings is not None)
            )
            if exclude_given and len(given):
                scores[start + given.users, given.items] = -np.inf
        return self._top_k(scores, k)

    #: New users scored at once by `recommend_for_items` (a fold-in holds
    #: a few `(users, num_items, d)` arrays).
    _new_users_batch = 256

    def _given_interactions(self, histories, ratings):
        """The given items as an `Interactions` of users 0..n-1."""
        lengths = np.array([len(h) for h in histories], dtype=np.int64)
        empty = [np.zeros(0, dtype=np.int64)]
        return Interactions(
            np.repeat(np.arange(len(histories)), lengths),
            np.concatenate(list(histories) + empty),
            None if ratings is None else np.concatenate(list(ratings) + empty),
            num_users=len(histories),
            num_items=self.num_items,
        )

    def score_new_users(self, given, rated=False):
        """`(n, num_items)` scores of users who are not in the training data.

        The hook behind `recommend_for_items`. By default (models with
        `scores_from_items` that score from the items) the given items
        stand in for the training history while `score_batch` runs; models
        with learnt per-user weights override it with a fold-in.

        Args:
            given: `Interactions` of the new users' items, users 0..n-1,
                in the model's item space, in time order.
            rated: bool. Whether `given.ratings` are real ratings (else
                placeholders). Defaults to `False`.

        Returns:
            `(n, num_items)` scores (a tensor or array).
        """
        saved = self.interaction_history, self._context
        self.interaction_history, self._context = InteractionHistory(given), None
        try:
            users = ops.convert_to_tensor(np.arange(given.num_users, dtype=np.int32))
            return np.array(ops.convert_to_numpy(self.score_batch(users)))
        finally:
            self.interaction_history, self._context = saved

    def _item_lists(self, items, ratings=None):
        """`items` (and `ratings`) as lists of arrays, checked against the
        catalogue; the ratings are `None` when not given."""
        items = self._per_user(items)
        out = []
        for user, history in enumerate(items):
            history = np.asarray(history)
            if history.ndim != 1 or (
                len(history) and not np.issubdtype(history.dtype, np.integer)
            ):
                raise ValueError(
                    "`items` must be item indices, one sequence per user. "
                    f"Received for user {user}: {history.tolist()!r}"
                )
            bad = history[(history < 0) | (history >= self.num_items)]
            if len(bad):
                raise ValueError(
                    f"`items` holds {int(bad[0])} (user {user}), outside "
                    f"[0, {self.num_items})"
                )
            out.append(history.astype(np.int64))
        if ratings is None:
            return out, None
        ratings = self._per_user(ratings)
        if len(ratings) != len(out) or any(
            np.shape(r) != h.shape for r, h in zip(ratings, out)
        ):
            raise ValueError(
                "`ratings` must give one rating per item of `items`, in the "
                f"same shape. Received: items={[h.tolist() for h in out]!r}, "
                f"ratings={ratings!r}"
            )
        rated = []
        for user, values in enumerate(ratings):
            try:
                values = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                values = np.array([np.nan])
            if not np.isfinite(values).all():
                raise ValueError(
                    "`ratings` must be finite numbers. Received for user "
                    f"{user}: {list(ratings[user])!r}"
                )
            rated.append(values.astype(np.float32))
        return out, rated

    @staticmethod
    def _per_user(values):
        """One sequence, or a list of sequences, as a list of sequences."""
        if isinstance(values, np.ndarray) and values.ndim == 1:
            values = [values]
        values = list(values)
        if not values or np.ndim(values[0]) == 0:
            values = [values]
        return values

    @staticmethod
    def _top_k(scores, k):
        k = min(k, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        items = np.take_along_axis(top, order, axis=1).astype(np.int32)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        # A user with fewer than k unseen items gets -1 (score -inf) in the
        # remaining slots rather than an item they have already seen.
        items[np.isneginf(top_scores)] = -1
        return items, top_scores

    def export(
        self,
        filepath,
        k: int = 10,
        format="tf_saved_model",
        verbose=True,
        overwrite: bool = False,
        **kwargs,
    ):
        """Exports the model as a TensorFlow SavedModel for serving.

        The SavedModel serves `recommend` by raw ids (`serving_default`:
        `user_ids` -> `item_ids`, `scores`) and, for models with a rater,
        `predict_rating` (`rate`); it loads with `tf.saved_model.load`
        without rnr_keras or Keras. See
        `rnr_keras.serving.export_saved_model` for what it holds and what
        unknown ids get. Overrides `keras.Model.export`.

        Args:
            filepath: str or path-like. The SavedModel folder to write.
            k: int. Items per user. Defaults to 10.
            format: str. Only "tf_saved_model". Defaults to
                "tf_saved_model".
            verbose: bool. Print where it went. Defaults to `True`.
            overwrite: bool. Whether to replace an existing, non-empty
                folder. Defaults to `False`.
            **kwargs: passed to `export_saved_model` (`user_ids`,
                `item_ids`: raw-id maps replacing the training data's).

        Returns:
            str. The SavedModel folder's absolute path.

        Example:

        >>> from rnr_keras.datasets import Interactions
        >>> from rnr_keras.models import Popularity
        >>> train = Interactions(users=[0, 1], items=[1, 0])
        >>> model = Popularity(num_users=2, num_items=2).adapt(train)
        >>> path = model.export("/tmp/popularity", k=1)  # doctest: +SKIP
        """
        if format != "tf_saved_model":
            raise ValueError(
                f"{type(self).__name__}.export writes only format="
                f"'tf_saved_model' (a SavedModel serving by raw ids). "
                f"Received: format={format!r}"
            )
        # Imported here: serving sits downstream of the models.
        from rnr_keras.serving import export_saved_model

        return export_saved_model(
            self, filepath, k=k, overwrite=overwrite, verbose=verbose, **kwargs
        )

    @classmethod
    def from_preset(cls, name_or_path, data="auto", data_dir=None):
        """Loads a zoo preset: the model with its weights and history.

        Works on the base class (any zoo model comes back) and on a
        subclass, which checks that the preset holds that class (or one of
        its subclasses).

        Presets ship no training history (it is the training data, which
        the MovieLens licence forbids redistributing); `data` says where
        it comes from:

        - `"auto"`: the dataset recorded in the preset's metadata, found in
          `data_dir`, `$RNR_DATA_DIR/<dataset>` or the cache (never
          downloaded); the recorded split is re-created, checked against
          the recorded fingerprint and the model adapted to its training
          part. Without the dataset the model comes back without history.
        - an `Interactions` (the training part of the recorded split) or
          the recorded `Split`: used directly, checked against the
          recorded fingerprints.
        - `None`: no history.

        The statistics `adapt` re-sets (SVD's mean rating, Popularity's
        counts) must come out identical to the shipped weights. Without
        history, Popularity, SVD, BPR and the BPR multi-task models still
        score; CDAE-based models and `recommend(exclude_seen=True)` raise
        `ValueError` telling how to provide the data (see
        `missing_history_reason`).

        Args:
            name_or_path: str or path-like. A name from
                `rnr_keras.zoo.list()` or a preset folder.
            data: `"auto"`, `Interactions`, `Split` or `None`. Where the
                training history comes from. Defaults to `"auto"`.
            data_dir: str, path-like or `None`. With `data="auto"`, the
                folder holding the dataset's files. Defaults to `None`
                (`$RNR_DATA_DIR/<dataset>`, then the cache).

        Returns:
            The model, not compiled.

        Raises:
            ValueError: an unknown name (the message lists the known ones),
                a preset holding a model of another class, or data that
                differs from the data the preset was trained on.

        Example:

        >>> model = Recommender.from_preset("bpr_ml-100k")  # doctest: +SKIP
        >>> items, scores = model.recommend([0], k=5)  # doctest: +SKIP
        >>> model = Recommender.from_preset("bpr_ml-100k", data=None)  # doctest: +SKIP
        >>> model.score([0]).shape  # doctest: +SKIP
        (1, 1682)
        """
        # Imported here: the zoo sits downstream of the models.
        from rnr_keras.zoo import preset_utils

        return preset_utils.load_preset(
            name_or_path, cls=cls, data=data, data_dir=data_dir
        )

    def save_to_preset(
        self,
        path,
        metadata=None,
        user_ids=None,
        item_ids=None,
        overwrite: bool = False,
    ):
        """Writes the model as a zoo preset folder, atomically.

        Writes `config.json` (with `history_size=0`), `model.weights.h5`
        (the weights, no optimizer state and no training history: that is
        the training data, rebuilt by `from_preset`), `metadata.json` and
        the raw-id maps `user_ids.json` / `item_ids.json` into a temporary
        folder beside `path`, then renames it to `path`. To rebuild the
        history with `data="auto"`, the metadata must record `dataset`,
        `protocol` (the split's `params`) and, for synthetic data,
        `dataset_args`, as `rnr_keras.zoo.save_preset_from_run` does.

        Args:
            path: str or path-like. The preset folder.
            metadata: dict or `None`. Recorded in `metadata.json`, completed
                with `name`, `class_name`, `parameter_count`,
                `interaction_history`, `versions` and `date`. Defaults to
                `None`.
            user_ids: array or `None`. Raw id (int or str) of each user
                index. Defaults to the indices.
            item_ids: array or `None`. Raw id of each item index. Defaults
                to the indices.
            overwrite: bool. Whether to replace an existing non-empty
                folder. Defaults to `False`.

        Returns:
            str. The preset folder's absolute path.

        Example:

        >>> from rnr_keras.datasets import Interactions
        >>> from rnr_keras.models import Popularity
        >>> train = Interactions(users=[0, 1], items=[1, 0])
        >>> model = Popularity(num_users=2, num_items=2).adapt(train)
        >>> path = model.save_to_preset("/tmp/preset")  # doctest: +SKIP
        """
        from rnr_keras.zoo import preset_utils

        return preset_utils.save_preset(
            self,
            path,
            metadata=metadata,
            user_ids=user_ids,
            item_ids=item_ids,
            overwrite=overwrite,
        )

    def get_config(self):
        return {
            "name": self.name,
            "num_users": self.num_users,
            "num_items": self.num_items,
        }

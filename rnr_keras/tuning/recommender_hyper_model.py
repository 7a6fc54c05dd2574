"""The one keras-tuner HyperModel of every zoo model."""

import json
import numbers

import keras
import keras_tuner

from rnr_keras import evaluation
from rnr_keras import optimizers
from rnr_keras import registry
from rnr_keras import training

#: Search-space names: the paper's grid (section 5.3) and a wider one.
SPACES = registry.SPACES

#: The generic part of every space, for the constructor arguments a model
#: takes; an algorithm's own `Algorithm.space` entries override these.
#: Choices (not Float ranges) so that grid search can enumerate them and
#: the values stay exact: a stepped `hp.Float(0.0, 0.5, step=0.1)` yields
#: 0.30000000000000004 and drops 0.5.
GENERIC_SPACE = {
    "paper": {
        "embedding_dim": registry.Choice((50,), default=50),
        "l2": registry.Choice((0.01, 0.001), default=0.001),
        "alpha": registry.Choice((0.9, 0.95, 1.0), default=0.95),
    },
    "wide": {
        "embedding_dim": registry.Choice((32, 50, 64, 128), default=50),
        "l2": registry.Choice(
            (0.0001, 0.0003, 0.001, 0.003, 0.01), default=0.001
        ),
        "alpha": registry.Choice(
            (0.5, 0.75, 0.8, 0.9, 0.95, 1.0), default=0.95
        ),
        "activation": registry.Choice(("tanh", "relu", "sigmoid"), default="tanh"),
    },
}
LEARNING_RATE = [0.0005, 0.001, 0.002, 0.005, 0.01]

#: The one hyperparameter that is not a constructor argument.
LEARNING_RATE_NAME = "learning_rate"


def fit_key(hp):
    """A hashable key of a trial's hyperparameter values."""
    return json.dumps(hp.values, sort_keys=True, default=str)


def model_hyperparameters(values):
    """Constructor arguments among hyperparameter `values`.

    Drops `learning_rate` (a compile argument) and keras-tuner's own
    `tuner/...` entries (Hyperband's epochs and brackets), so that
    `training.build_model(name, nu, ni, **model_hyperparameters(values))`
    rebuilds a trial's model.
    """
    return {
        key: value
        for key, value in values.items()
        if key != LEARNING_RATE_NAME and not key.startswith("tuner/")
    }


def _check_at_least(name, value, lowest):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < lowest
    ):
        raise ValueError(
            f"`{name}` must be an integer of at least {lowest}. Received: "
            f"{name}={value!r}"
        )
    return int(value)


class RecommenderHyperModel(keras_tuner.HyperModel):
    """Builds and trains one zoo model per trial on a protocol split.

    One class for every model: the search space is read from the model's
    registration (`registry.spec(name).space(space)`, each algorithm's own
    entries) over the generic entries (`GENERIC_SPACE`: `embedding_dim`,
    `l2`, `alpha`, the tied FC's `activation`), each used only where the
    model takes that constructor argument. It builds the model with
    `registry.build_model`, compiles it and trains it as
    `training.fit_model` does: validation Recall@10 after every epoch,
    early stopping on it, best weights restored. The trial's objective is
    the best epoch's `val_recall_at_10` (keras-tuner reads it from the
    returned `History`). Hyperparameter names equal the model's
    constructor arguments, so

        registry.build_model(name, nu, ni, **model_hyperparameters(values))

    rebuilds the winner; `learning_rate` (wide space) is the one extra, the
    learning rate of the optimiser. A model fitted in closed form
    (`registry.spec(name).trainable` is False: Popularity, EASE) is only
    adapted in each trial and scored on validation.

    Spaces: `"paper"` is the grid of the paper's section 5.3, `l2` (the
    paper's lambda) in {0.01, 0.001} and, for multi-task models, `alpha` in
    {0.9, 0.95, 1.0}, with `embedding_dim` fixed at 50. `"wide"` adds
    `embedding_dim`, `learning_rate`, more `l2` and `alpha` values and the
    models' own options (see the subclasses).

    Each built model is seeded with `seed` (`keras.utils.set_random_seed`)
    and adapted to `split.train` before it is compiled (so `compile`
    chooses XLA by the data's size). keras-tuner clears the Keras session
    before each trial's build.

    Args:
        name: str. A registered or composed model name (see `registry`).
        split: `Split`. Trials train on `split.train` and are scored on
            `split.val`; `split.test` is not used.
        space: str. "paper" or "wide". Defaults to "paper".
        epochs: int. Most epochs per trial. Defaults to 100.
        patience: int or `None`. Early-stopping patience in epochs.
            Defaults to `None`, the model's `default_patience`.
        batch_size: int or `None`. See `rnr_keras.inputs.dataset_for`.
            Defaults to `None`.
        optimizer: str. Optimiser preset of `rnr_keras.optimizers`,
            "default" (Adam) or "paper" (AdaGrad); a `learning_rate`
            hyperparameter (wide space) replaces the preset's rate.
            Defaults to "default".
        seed: int. Seed of initialisation, batching and negative sampling.
            Defaults to 0.
        verbose: int. Keras verbosity of each trial's `fit` when `search`
            is not given one. Defaults to 0.
        **kwargs: passed to `keras_tuner.HyperModel` (`tunable`).

    Example:

    ```python
    split = protocol.all_but_last_one(datasets.synthetic(), n_users=1000)
    hypermodel = RecommenderHyperModel("bpr", split, epochs=5)
    tuner = make_tuner(hypermodel, "grid", directory="runs/tune")
    tuner.search()  # 2 trials: l2 in {0.001, 0.01}
    best = tuner.get_best_hyperparameters()[0].values
    model = registry.build_model(
        "bpr", split.num_users, split.num_items,
        **model_hyperparameters(best),
    )
    ```
    """

    def __init__(
        self,
        name: str,
        split,
        space: str = "paper",
        epochs: int = 100,
        patience=None,
        batch_size=None,
        optimizer: str = "default",
        seed: int = 0,
        verbose: int = 0,
        **kwargs,
    ):
        self.spec = registry.spec(name)
        if space not in SPACES:
            raise ValueError(
                f"`space` must be one of {SPACES}. Received: space={space!r}"
            )
        if optimizer not in optimizers.PRESETS:
            raise ValueError(
                f"`optimizer` must be one of {sorted(optimizers.PRESETS)}. "
                f"Received: optimizer={optimizer!r}"
            )
        super().__init__(name=name, **kwargs)
        self.split = split
        self.space = space
        self.epochs = _check_at_least("epochs", epochs, 1)
        self.patience = (
            None if patience is None else _check_at_least("patience", patience, 0)
        )
        if batch_size is not None:
            _check_at_least("batch_size", batch_size, 1)
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.seed = int(seed)
        self.verbose = verbose
        self.fit_records = {}

    @property
    def model_class(self):
        """The zoo class this hypermodel builds."""
        return self.spec.model_class

    @property
    def trainable(self):
        """Whether the model is fitted with `fit` (not Popularity, EASE)."""
        return self.spec.trainable

    def search_space(self):
        """Hyperparameter name -> `registry.Choice` of this model and space."""
        accepted = set(self.spec.constructor_arguments())
        space = {
            key: choice
            for key, choice in GENERIC_SPACE[self.space].items()
            if key in accepted
        }
        space.update(self.spec.space(self.space))
        return space

    def grid_size(self):
        """Cells of this model's grid: the product of its choices' sizes
        (with the learning-rate choice of the "wide" space for a model
        trained by `fit`); what a grid search runs."""
        size = 1
        for choice in self.search_space().values():
            size *= len(choice.values)
        if self.trainable and self.space == "wide":
            size *= len(LEARNING_RATE)
        return size

    def declare(self, hp):
        """Declares the model's hyperparameters on `hp`.

        A choice with one value is declared `Fixed`, so it is recorded
        without adding grid cells.

        Returns:
            dict: the constructor arguments they set.
        """
        values = {}
        for key, choice in self.search_space().items():
            if len(choice.values) == 1:
                values[key] = hp.Fixed(key, choice.values[0])
            else:
                values[key] = hp.Choice(
                    key, list(choice.values), default=choice.default
                )
        return values

    def make_optimizer(self, hp):
        """The preset optimiser; at `hp`'s learning rate when it has one."""
        if self.optimizer == "default" and LEARNING_RATE_NAME not in hp.values:
            return "default"  # the model picks its own learning rate
        optimizer = optimizers.get(self.optimizer)
        if LEARNING_RATE_NAME in hp.values:
            optimizer.learning_rate = hp.get(LEARNING_RATE_NAME)
        return optimizer

    def build(self, hp):
        """A fresh, seeded, compiled model with `hp`'s values."""
        values = self.declare(hp)
        if self.trainable and self.space == "wide":
            # Defaults to the choice nearest the preset's own rate.
            preset = float(optimizers.get(self.optimizer).learning_rate)
            hp.Choice(
                LEARNING_RATE_NAME,
                LEARNING_RATE,
                default=min(LEARNING_RATE, key=lambda lr: abs(lr - preset)),
            )
        keras.utils.set_random_seed(self.seed)
        model = registry.build_model(
            self.name, self.split.num_users, self.split.num_items, **values
        )
        model.adapt(self.split.train)
        if self.trainable:
            model.compile(optimizer=self.make_optimizer(hp))
        return model

    def fit(
        self,
        hp,
        model,
        *args,
        callbacks=(),
        epochs=None,
        initial_epoch=0,
        verbose=None,
        **kwargs,
    ):
        """Trains `model` on the split; returns the `History`.

        The callbacks keras-tuner passes (its checkpointing, and any given
        to `search`) run after the `RankingMetricsCallback` and the early
        stopping, so they see each epoch's `val_recall_at_10`.

        Args:
            hp: `keras_tuner.HyperParameters`.
            model: the model `build(hp)` returned.
            callbacks: list of Keras callbacks.
            epochs: int or `None`. Last epoch; Hyperband sets it (with
                `initial_epoch`). Defaults to the hypermodel's `epochs`.
            initial_epoch: int. Epochs already trained (Hyperband).
            verbose: int or `None`. Defaults to the hypermodel's.
        """
        if args or kwargs:
            raise ValueError(
                f"{type(self).__name__} trains on its `split`; `search()` "
                f"takes no data. Received: args={args!r}, kwargs="
                f"{sorted(kwargs)}"
            )
        if not self.trainable:
            # Closed form: `adapt` (in `build`) fitted it.
            fit = training.fit_model(model, self.split)
            self.fit_records[fit_key(hp)] = fit
            return self.validation_metrics(model)
        epochs = self.epochs if epochs is None else epochs
        # A History of our own: it records the epochs whatever Keras does.
        history = keras.callbacks.History()
        fit = training.fit_model(
            model,
            self.split,
            epochs=max(epochs - initial_epoch, 1),
            patience=self.patience,
            batch_size=self.batch_size,
            optimizer=model.optimizer,
            seed=self.seed,
            verbose=self.verbose if verbose is None else verbose,
            callbacks=[*callbacks, history],
        )
        # What `tune` reports for the winner without training it again.
        self.fit_records[fit_key(hp)] = fit
        return history

    def validation_metrics(self, model):
        """`{"val_recall_at_10": ..., ...}` of a fitted model."""
        results = evaluation.evaluate_ranking(
            model, self.split.val, self.split.train, k=10
        )
        return {
            "val_" + evaluation.metric_log_name(key): value
            for key, value in results.items()
            if "@" in key
        }

    def settings(self):
        """What a trial's result depends on besides the hyperparameters.

        A search resumed with other settings would mix trials that are not
        comparable; `make_tuner` refuses that.
        """
        return {
            "model": self.name,
            "space": self.space,
            "epochs": self.epochs,
            "patience": self.patience,
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "seed": self.seed,
            "split": {
                "num_users": self.split.num_users,
                "num_items": self.split.num_items,
                "train": len(self.split.train),
                "val": len(self.split.val),
                "test": len(self.split.test),
                **self.split.params,
            },
        }


def hypermodel_for(name, split, **kwargs):
    """The hypermodel of zoo model `name` on `split`.

    Args:
        name: str. A registered or composed model name.
        split: `Split`.
        **kwargs: see `RecommenderHyperModel` (`space`, `epochs`,
            `patience`, `batch_size`, `optimizer`, `seed`, `verbose`).
    """
    return RecommenderHyperModel(name, split, **kwargs)

"""`rnr-keras train`: fit one zoo model on the protocol split, save it and
its metrics.

The split comes from `rnr_keras.runs.make_split`, the training loop from
`rnr_keras.training.fit_model`, the record from `runs.run_record` and,
with `--save-preset DIR`, the preset from `zoo.save_preset_from_run`.

Example:

    $ rnr-keras train rnr-cdae-svd --dataset ml-100k --out runs/rnr
    $ rnr-keras train bpr --data-file ratings.csv \\
        --columns user=userId,item=movieId --out runs/mine
    $ rnr-keras train bpr --dataset-arg num_users=150 \\
        --dataset-arg num_items=80 --epochs 2
"""

import os

from rnr_keras.cli import arguments

#: Constructor arguments a command-line option may set.
HYPERPARAMETER_OPTIONS = ("alpha", "l2", "embedding_dim")
#: The training-curves figure, beside model.keras.
CURVES_FILE = "curves.png"


def add_parser(subparsers):
    """Adds `train` to `subparsers`; returns its parser."""
    train = subparsers.add_parser(
        "train",
        help="Train a zoo model and save it with its metrics.",
        description="Splits the dataset with the paper's All-But-Last-One "
        "protocol, trains MODEL on the training part (validation Recall@10 "
        "after every epoch, early stopping on it, best weights restored), "
        "prints validation and test metrics, and writes DIR/model.keras and "
        "DIR/metrics.json. Both are replaced atomically, so an interrupted "
        "run never leaves a half-written file.",
    )
    arguments.add_model(train)
    arguments.add_split(train)
    arguments.add_training(
        train,
        epochs_help="Most epochs; early stopping usually ends sooner",
        patience_help="Epochs without a better validation Recall@10 before "
        "stopping",
    )
    train.add_argument(
        "--optimizer",
        choices=("default", "paper"),
        default="default",
        help="'default': Adam at the model's own rate, its ranker's "
        "`default_learning_rate` (0.002 for BPR and WRMF and their "
        "multi-task models, 0.001 for SASRec, 0.005 otherwise); 'paper': "
        "AdaGrad, lr 0.001 (default: %(default)s).",
    )
    train.add_argument(
        "--alpha",
        type=float,
        help="Ranking-loss weight of multi-task models, in [0, 1] (default: "
        "the model's, 0.95).",
    )
    train.add_argument(
        "--l2",
        type=float,
        help="Regularisation weight, the paper's lambda (default: the "
        "model's, 0.001).",
    )
    train.add_argument(
        "--embedding-dim",
        metavar="N",
        type=int,
        help="Width of the user and item embeddings (default: the model's, "
        "50).",
    )
    train.add_argument(
        "--out",
        metavar="DIR",
        help="Output folder (default: runs/<model>-<dataset>-seed<seed>, "
        "with the data file's name for <dataset>). Made only once the data "
        "is read.",
    )
    train.add_argument(
        "--save-preset",
        metavar="DIR",
        help="Also save the trained model as a zoo preset folder DIR "
        "(loadable with rnr_keras.zoo.load(DIR) and `rnr-keras recommend "
        "--preset DIR`; without its training data, which is rebuilt from "
        "the dataset on load). DIR must be new or empty; it is checked "
        "before training.",
    )
    arguments.add_quiet(train)
    train.set_defaults(func=run)
    return train


def run(args):
    """Runs `rnr-keras train` on parsed arguments; returns the exit status."""
    arguments.check_training(args)
    source = arguments.data_source(args)
    hyperparameters = {
        key: getattr(args, key)
        for key in HYPERPARAMETER_OPTIONS
        if getattr(args, key) is not None
    }
    out = args.out or os.path.join(
        "runs", f"{args.model}-{arguments.data_name(args)}-seed{args.seed}"
    )
    # Imported on use: they bring in TensorFlow and Keras.
    import keras

    from rnr_keras import runs
    from rnr_keras import zoo

    if args.save_preset is not None:
        # Before training: a taken folder fails the run in seconds.
        try:
            zoo.check_preset_target(args.save_preset)
        except FileExistsError:
            raise FileExistsError(
                f"--save-preset {args.save_preset}: the folder exists and is "
                "not empty; choose a new folder or remove it"
            ) from None

    _, split = runs.make_split(
        **source,
        data_dir=args.data_dir,
        n_users=args.n_users,
        seed=args.seed,
    )
    keras.utils.set_random_seed(args.seed)
    model = build(args.model, split, hyperparameters)

    # Made before training, so that an unwritable folder fails early; a
    # folder made here is removed again when the run fails.
    made = not os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    try:
        record = _fit(args, model, split, source)
        model_path, metrics_path = runs.save_run(model, record, out)
        saved = [model_path, metrics_path]
        curves = _write_curves(record, out)
        if curves:
            saved.append(curves)
        print(runs.format_results(record))
        print(f"Saved {', '.join(saved[:-1])} and {saved[-1]}")
        if args.save_preset is not None:
            path = zoo.save_preset_from_run(
                model, record, split, args.save_preset
            )
            print(f"Saved preset {path}")
    except BaseException:
        if made and not os.listdir(out):
            os.rmdir(out)
        raise
    return 0


def build(name, split, hyperparameters):
    """`registry.build_model` for `split`, refusing options the model does
    not take with a message naming the option and its value."""
    from rnr_keras import registry

    accepted = set(registry.spec(name).constructor_arguments())
    for key, value in hyperparameters.items():
        if key not in accepted:
            raise ValueError(
                f"`{key}` does not apply to {name!r}. Received: "
                f"{key}={value!r}"
            )
    return registry.build_model(
        name, split.num_users, split.num_items, **hyperparameters
    )


def _write_curves(record, out):
    """Writes `out/curves.png` (loss and validation metrics per epoch, the
    chosen epoch marked); returns its path, or `None` for a model that
    trains no epochs (closed form)."""
    from rnr_keras import plots
    from rnr_keras.io_utils import write_text

    history = record.get("history") or {}
    if not any(len(values) for values in history.values()):
        return None
    path = os.path.join(out, CURVES_FILE)
    data = record.get("dataset") or os.path.basename(record.get("data_file") or "")
    png = plots.training_curves(
        history,
        best_epoch=record.get("best_epoch"),
        title=f"{record.get('label', record['model'])} on {data}, seed "
        f"{record.get('seed')}",
    )
    write_text(path, png, binary=True)
    return path


def _fit(args, model, split, source):
    """Trains and evaluates `model`; returns the metrics.json record
    (`source`: `arguments.data_source(args)`)."""
    from rnr_keras import registry
    from rnr_keras import runs
    from rnr_keras import training

    print(
        f"Training {registry.label(args.model)} on "
        f"{source['dataset'] or source['data_file']} "
        f"({split.num_users:,} users, {split.num_items:,} items): "
        f"{len(split.train):,} training rows, {len(split.val):,} "
        f"validation, {len(split.test):,} test.",
        flush=True,
    )
    fit = training.fit_model(
        model,
        split,
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
    )
    return runs.run_record(
        args.model,
        model,
        split,
        {**fit, **training.evaluate_model(model, split)},
        **source,
        seed=args.seed,
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
    )

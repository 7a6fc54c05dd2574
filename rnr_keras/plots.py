"""PNG figures where people look: training curves and a dataset's shape.

`training_curves` is what `rnr-keras train` writes beside its model
(`curves.png`); `data_figure` what `rnr-keras data info --plot FILE`
writes. Both return PNG bytes (matplotlib, no display needed), so the
caller writes them atomically with `io_utils.write_text(..., binary=True)`.
"""

import io

import numpy as np

#: History keys drawn on the metrics panel, with their labels.
VALIDATION_CURVES = (
    ("val_recall_at_10", "validation Recall@10"),
    ("val_mrr_at_10", "validation MRR@10"),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _png(figure, pyplot):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    pyplot.close(figure)
    return buffer.getvalue()


def training_curves(history, best_epoch=None, title=""):
    """The loss and validation Recall@10 / MRR@10 per epoch, as a PNG.

    Args:
        history: dict of lists, one value per epoch (a Keras
            `History.history`, or `fit_model(...)["history"]`): the
            `loss` keys (`loss`, `rank_loss`, `rating_loss`) on the left
            panel, `val_recall_at_10` and `val_mrr_at_10` on the right.
        best_epoch: int or `None`. The 1-based epoch whose weights were
            kept (early stopping's), marked on both panels.
        title: str. The figure's title.

    Returns:
        bytes: the PNG.

    Raises:
        ValueError: `history` has no epochs (a closed-form model such as
            EASE or Popularity trains none).
    """
    epochs = max((len(values) for values in history.values()), default=0)
    if not epochs:
        raise ValueError(
            "`history` has no epochs to draw (a model fitted in closed form "
            f"trains none). Received keys: {sorted(history)}"
        )
    pyplot = _pyplot()
    from matplotlib import ticker

    figure, (losses, metrics) = pyplot.subplots(1, 2, figsize=(11, 4))
    x = np.arange(1, epochs + 1)
    for key in sorted(history):
        values = history[key]
        if key.endswith("loss") and not key.startswith("val_") and len(values):
            losses.plot(x[: len(values)], values, label=key)
    for key, label in VALIDATION_CURVES:
        values = history.get(key, [])
        if len(values):
            metrics.plot(x[: len(values)], values, label=label)
    for axis, name in ((losses, "training loss"), (metrics, "validation")):
        if best_epoch:
            axis.axvline(
                best_epoch, color="#aa3377", linestyle="--",
                label=f"chosen epoch {best_epoch}",
            )
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        axis.set_title(name)
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return _png(figure, pyplot)


def data_figure(data):
    """A dataset's shape as a PNG: how many interactions users have (a
    log-scale histogram) and the item popularity curve (interactions per
    item, items by rank, log-log).

    Args:
        data: `Interactions`.

    Returns:
        bytes: the PNG.
    """
    pyplot = _pyplot()
    users = np.asarray(data.user_counts())
    items = np.sort(np.asarray(data.item_counts()))[::-1]
    figure, (left, right) = pyplot.subplots(1, 2, figsize=(11, 4))
    top = max(int(users.max(initial=1)), 1)
    bins = np.unique(np.geomspace(1, top + 1, num=40).astype(int))
    left.hist(users, bins=bins if len(bins) > 1 else 10, color="#4477aa")
    left.set_xscale("log")
    left.set_xlabel("interactions per user")
    left.set_ylabel("users")
    left.set_title(f"{len(users):,} users, median {np.median(users):.0f}")
    positive = items[items > 0]
    right.loglog(np.arange(1, len(positive) + 1), positive, color="#228833")
    right.set_xlabel("item rank")
    right.set_ylabel("interactions")
    share = positive[: max(len(positive) // 10, 1)].sum() / max(positive.sum(), 1)
    right.set_title(
        f"{len(items):,} items; the top 10% hold {share:.0%} of interactions"
    )
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.suptitle(f"{data.name or 'dataset'}: {len(data):,} interactions")
    figure.tight_layout()
    return _png(figure, pyplot)

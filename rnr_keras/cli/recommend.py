"""`rnr-keras recommend`: a zoo preset's top-k items for one raw user id,
or for a new user given by the items they just consumed (`--items`).

Presets ship no training history (see `rnr_keras.zoo`): `recommend` loads
the preset with `data="auto"`, rebuilding it from the dataset found in
`--data-dir`, `$RNR_DATA_DIR/<dataset>` or the cache, so that the user's
training items are left out. Without the dataset, models that score from
their weights alone still recommend (training items then not excluded,
and the output says so); models that read the history to score (CDAE,
SVD++, EASE and their multi-task pairs) fail with a message saying where
to put the data.

With `--items 50,172,133` (raw item ids, oldest first) the user need not
be in the training data: every zoo model recommends from these items,
without retraining and without the dataset, the given items left out.
SASRec, Transition, EASE and Popularity score from the items; BPR, WRMF,
CDAE, SVD, SVD++ and their Vanilla/RnR models fold the new user in (see
`Recommender.recommend_for_items`). `--ratings 5,4,5` gives the items'
ratings, which rater-only presets (SVD, SVD++) fit; others ignore them.

Example:

    $ rnr-keras recommend --preset rnr-bpr-svd_ml-100k --user 196 -k 5
    $ rnr-keras recommend --preset sasrec_ml-100k --items 50,172,133
    $ rnr-keras recommend --preset svd_ml-100k --items 50,172,133 --ratings 5,4,5
"""

import json
import os

from rnr_keras.cli import arguments

#: Datasets whose item titles `movielens_titles` can read.
_TITLED_DATASETS = ("ml-100k", "ml-1m")


def add_parser(subparsers):
    """Adds `recommend` to `subparsers`; returns its parser."""
    recommend = subparsers.add_parser(
        "recommend",
        help="Print a zoo preset's top-k items for a user.",
        description="Loads a zoo preset and prints the top-K items for the "
        "user with raw id USER (as in the dataset, e.g. a MovieLens user "
        "id), leaving out the items the user rated in training: rank, raw "
        "item id, score, the predicted rating (models with a trained rater; "
        "'-' otherwise) and the title (MovieLens, when u.item or movies.dat "
        "is found in --data-dir, $RNR_DATA_DIR/<dataset> or the cache). "
        "Presets do not ship their training data (the MovieLens licence "
        "forbids it): the training items are read from the dataset, found "
        "in the same places. Without it, presets whose model reads the "
        "training data to score (CDAE, SVD++, EASE) cannot recommend and "
        "the others recommend without leaving out the training items.",
    )
    recommend.add_argument(
        "--preset",
        metavar="NAME|DIR",
        required=True,
        help="A shipped preset's name (see rnr_keras.zoo.list(); "
        "$RNR_PRESETS_DIR replaces the shipped folder) or a preset folder.",
    )
    who = recommend.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--user",
        metavar="USER",
        help="Raw user id, as in the dataset.",
    )
    who.add_argument(
        "--items",
        metavar="ITEM,ITEM,...",
        help="A new user's items, raw ids oldest first, comma-separated "
        "(e.g. 50,172,133): recommendations from these items alone, "
        "without retraining (sequence and item-based models score the "
        "items; factor models and CDAE fold the new user in).",
    )
    recommend.add_argument(
        "--ratings",
        metavar="RATING,RATING,...",
        help="With --items: the items' ratings, comma-separated, one per "
        "item (e.g. 5,4,5). Rater-only presets (SVD, SVD++) fit them; "
        "without, they give the new user the model's mean user's ratings "
        "(SVD++ still reads the items). Other presets ignore them.",
    )
    recommend.add_argument(
        "-k",
        metavar="K",
        type=int,
        default=10,
        help="Items to print (default: %(default)s).",
    )
    arguments.add_data_dir(
        recommend,
        "the dataset's files (e.g. u.data and u.item), for the training "
        "items and the titles",
    )
    recommend.add_argument(
        "--json", action="store_true", help="Print the result as JSON."
    )
    recommend.set_defaults(func=run)
    return recommend


def run(args):
    """Runs `rnr-keras recommend` on parsed arguments; returns 0."""
    if args.k < 1:
        raise ValueError(f"`k` must be at least 1. Received: k={args.k}")
    from rnr_keras import zoo

    path = zoo.preset_path(args.preset)
    metadata = zoo.metadata(path)
    user_ids, item_ids = zoo.id_maps(path)
    name = metadata.get("name", os.path.basename(os.path.normpath(path)))
    if args.items is not None:
        return _run_for_items(args, path, metadata, name, item_ids)
    if args.ratings is not None:
        raise ValueError("`--ratings` goes with `--items` (a new user's items)")
    user = raw_id_index(args.user, user_ids, "user", f"preset {name!r}")

    model = zoo.load(path, data="auto", data_dir=args.data_dir)
    exclude_seen = model.interaction_history is not None
    missing = None if exclude_seen else _missing_data(metadata)
    if not exclude_seen and model.uses_history:
        raise ValueError(
            f"Preset {name!r} ({metadata.get('label') or type(model).__name__}"
            ") needs its training data to score, and presets do not ship it "
            f"(the data's licence forbids redistributing it): {missing}"
        )
    items, scores = model.recommend(
        [user], k=args.k, exclude="train" if exclude_seen else None
    )
    # Fewer unseen items than k: the rest are masked (-inf), drop them.
    keep = scores[0] > -float("inf")
    items, scores = items[0][keep], scores[0][keep]
    ratings = None
    if getattr(model, "trains_rater", False):
        ratings = model.predict_rating([user] * len(items), items)
    rows = _rows(items, scores, ratings, item_ids, _titles(metadata, args.data_dir))
    seen = (
        int(len(model.interaction_history.user_items(user)))
        if exclude_seen
        else None
    )
    result = {
        "preset": name,
        "label": metadata.get("label"),
        "user": user_ids[user].item(),
        "training_items_excluded": seen,
        "items": rows,
    }
    if not exclude_seen:
        result["note"] = f"training items not excluded: {missing}"
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_format_recommendations(result))
    return 0


def _rows(items, scores, ratings, item_ids, titles):
    """One dict per recommended item: rank, raw id, score, rating, title."""
    rows = []
    for rank, (item, score) in enumerate(zip(items, scores), start=1):
        raw_item = item_ids[item].item()
        rows.append(
            {
                "rank": rank,
                "item": raw_item,
                "score": float(score),
                "rating": None if ratings is None else float(ratings[rank - 1]),
                "title": titles.get(raw_item),
            }
        )
    return rows


def _titles(metadata, data_dir):
    dataset = metadata.get("dataset")
    if dataset not in _TITLED_DATASETS:
        return {}
    from rnr_keras.datasets import movielens_titles

    return movielens_titles(dataset, data_dir=data_dir)


def _run_for_items(args, path, metadata, name, item_ids):
    """`recommend --items`: a new user given by their items."""
    from rnr_keras import zoo

    texts = [text.strip() for text in args.items.split(",")]
    if not all(texts):
        raise ValueError(
            "`--items` must be raw item ids separated by commas. Received: "
            f"--items {args.items!r}"
        )
    given = [
        raw_id_index(text, item_ids, "item", f"preset {name!r}") for text in texts
    ]
    ratings = _ratings(args.ratings, len(given))
    # Scoring from given items needs no training data.
    model = zoo.load(path, data=None)
    if not model.scores_from_items:
        raise ValueError(
            f"Preset {name!r} ({metadata.get('label') or type(model).__name__}"
            ") has no way to score a user who is not in the training data "
            "(no fold-in for its heads); use --user."
        )
    items, scores = model.recommend_for_items(given, k=args.k, ratings=ratings)
    keep = scores[0] > -float("inf")
    rows = _rows(
        items[0][keep], scores[0][keep], None, item_ids,
        _titles(metadata, args.data_dir),
    )
    result = {
        "preset": name,
        "label": metadata.get("label"),
        "user": None,
        "given_items": [item_ids[i].item() for i in given],
        "given_ratings": ratings,
        "training_items_excluded": None,
        "items": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_format_recommendations(result))
    return 0


def _ratings(text, count):
    """`--ratings` as a list of `count` floats, or `None`."""
    if text is None:
        return None
    try:
        ratings = [float(value) for value in text.split(",")]
    except ValueError:
        ratings = None
    if ratings is None or len(ratings) != count:
        raise ValueError(
            f"`--ratings` must be {count} numbers separated by commas, one "
            f"per item of --items. Received: --ratings {text!r}"
        )
    return ratings


def _missing_data(metadata):
    """Why the training history could not be rebuilt, and the fix."""
    dataset = metadata.get("dataset")
    if not (metadata.get("interaction_history") or {}).get("interactions"):
        return "the preset records no training history"
    if not (dataset and metadata.get("protocol")):
        return "the preset's metadata records no dataset to read it from"
    fix = (
        f"{dataset} was not found; pass --data-dir DIR (the folder holding "
        f"its files) or set RNR_DATA_DIR to the folder holding {dataset}/"
    )
    if dataset in _TITLED_DATASETS:
        fix += f" (`rnr-keras data info {dataset}` downloads it into the cache)"
    return fix


def raw_id_index(text, raw_ids, kind="user", where="the preset"):
    """The index of the raw id written as `text` in `raw_ids`.

    `text` (from the command line, so a string) is read as an int when the
    map holds integer ids (MovieLens), else taken as it is.

    Args:
        text: str. The raw id as typed.
        raw_ids: array. Index -> raw id.
        kind: str. "user" or "item", for the message. Defaults to "user".
        where: str. What holds the map, for the message. Defaults to
            "the preset".

    Raises:
        ValueError: naming the id, when `raw_ids` does not hold it.

    Example:

    >>> import numpy as np
    >>> raw_id_index("7", np.array([3, 7, 9]))
    1
    """
    import numpy as np

    raw = text
    if np.issubdtype(raw_ids.dtype, np.integer):
        try:
            raw = int(text)
        except ValueError:
            raw = None
    position = None
    if raw is not None:
        hits = np.flatnonzero(raw_ids == raw)
        position = int(hits[0]) if len(hits) else None
    if position is None:
        raise ValueError(
            f"Unknown {kind} {text!r}: {where} has no {kind} with raw id "
            f"{text!r} ({len(raw_ids):,} {kind}s, raw ids such as "
            f"{', '.join(str(v) for v in raw_ids[:3].tolist())})"
        )
    return position


def _format_recommendations(result):
    label = f" ({result['label']})" if result.get("label") else ""
    if result.get("given_items") is not None:
        given = result["given_items"]
        who = f"a new user with items {', '.join(str(i) for i in given)}"
        excluded = f"the {len(given)} given items excluded."
    else:
        who = f"user {result['user']}"
        excluded = (
            f"{result['training_items_excluded']} training items excluded."
            if result["training_items_excluded"] is not None
            else f"{result['note']}."
        )
    lines = [
        f"Top {len(result['items'])} for {who} from preset "
        f"{result['preset']}{label}; {excluded}"
    ]
    rows = result["items"]
    item_width = max([len("item")] + [len(str(r["item"])) for r in rows])
    lines.append(
        f"{'rank':>4}  {'item':>{item_width}}  {'score':>9}  {'rating':>6}  title"
    )
    for row in rows:
        rating = "-" if row["rating"] is None else f"{row['rating']:.2f}"
        title = "-" if row["title"] is None else row["title"]
        lines.append(
            f"{row['rank']:>4}  {row['item']!s:>{item_width}}  "
            f"{row['score']:>9.4f}  {rating:>6}  {title}"
        )
    return "\n".join(lines)

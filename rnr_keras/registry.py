"""One registration per algorithm: what the CLI, the tuner, reproduce,
presets and the docs read.

Every zoo algorithm is declared once, next to its code, with
`register(Algorithm(...))`:

- a **ranker** (BPR, CDAE, WRMF, ...) names its head class (a
  `rnr_keras.layers.Ranker`) and its single-task model class;
- a **rater** (SVD, SVD++, ...) names its head class (a `Rater`) and its
  single-task model class;
- a **model** (Popularity, EASE, ...) is a stand-alone `Recommender`.

Multi-task models are composed from a ranker name and a rater name and
need no registration: `vanilla-<ranker>-<rater>` is `VanillaModel` and
`rnr-<ranker>-<rater>` is `RnRModel` with those heads, e.g.
`rnr-wrmf-svdpp` (the two compositions register themselves with
`register_composition`). `spec(name)` answers for any of these names.

The registry imports no model: the zoo's algorithms register when their
modules are imported (`import rnr_keras` does it), and the first lookup
imports `BUILTIN_MODULES` and the modules other packages declare under
the `rnr_keras.algorithms` entry-point group, so a separate package can
add algorithms to the command line.

Example:

>>> from rnr_keras import registry
>>> registry.spec("rnr-bpr-svd").label
'RnR(BPR,SVD)'
>>> registry.spec("rnr-bpr-svd").ranker
'bpr'
>>> "bpr" in registry.names("ranker")
True
"""

import dataclasses
import importlib
import inspect
import re
from importlib import metadata

KINDS = ("ranker", "rater", "model")

#: Modules whose import registers the zoo's own algorithms.
BUILTIN_MODULES = ("rnr_keras.models",)

#: Entry-point group of other packages' algorithm modules.
ENTRY_POINT_GROUP = "rnr_keras.algorithms"

#: The multi-task compositions: prefix -> (model class, label format).
COMPOSITIONS = {}

#: Search spaces every hypermodel knows.
SPACES = ("paper", "wide")

_REGISTRY = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class Choice:
    """One hyperparameter of a search space: its values and default.

    Args:
        values: tuple. The values a search may try, in order.
        default: the value used when the space does not search it (and
            where keras-tuner starts). Must be one of `values`.
    """

    values: tuple
    default: object

    def __post_init__(self):
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("`values` must not be empty")
        if self.default not in self.values:
            raise ValueError(
                f"`default` must be one of {self.values}. Received: "
                f"default={self.default!r}"
            )


@dataclasses.dataclass(frozen=True)
class Algorithm:
    """The registration of one zoo algorithm.

    Args:
        name: str. Command-line name (lower case, letters, digits and `_`;
            no `-`, which composes multi-task names).
        label: str. The name in tables (`"SVD++"`).
        kind: str. "ranker", "rater" or "model".
        model: class. The single-task model, called as
            `model(num_users=..., num_items=..., **hyperparameters)`.
        head: class or `None`. For rankers and raters: the head class
            `VanillaModel`/`RnRModel` take; its constructor arguments are
            the head's options in composed models.
        space: dict. Search space name ("paper", "wide") -> dict of
            hyperparameter name -> `Choice`; entries override the generic
            ones (`embedding_dim`, `l2`, `alpha`, `learning_rate`). A space
            not given is empty.
        trainable: bool. Whether the model is trained with `fit` (False
            for closed-form models fitted by `adapt`). Defaults to True.
        description: str. One line for docs and `--help`.
        reference: str. The paper.
    """

    name: str
    label: str
    kind: str
    model: type
    head: type = None
    space: dict = dataclasses.field(default_factory=dict)
    trainable: bool = True
    description: str = ""
    reference: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                "`name` must be lower case letters, digits and `_`, starting "
                f"with a letter. Received: name={self.name!r}"
            )
        if self.kind not in KINDS:
            raise ValueError(
                f"`kind` must be one of {KINDS}. Received: kind={self.kind!r}"
            )
        if self.kind in ("ranker", "rater") and self.head is None:
            raise ValueError(f"A {self.kind} needs a `head` class")
        for space, entries in self.space.items():
            if space not in SPACES:
                raise ValueError(
                    f"Unknown search space {space!r} in {self.name!r}; "
                    f"known: {SPACES}"
                )
            for key, value in entries.items():
                if not isinstance(value, Choice):
                    raise ValueError(
                        f"Search-space entry {key!r} of {self.name!r} must be "
                        f"a `Choice`. Received: {value!r}"
                    )

    def head_options(self):
        """Names of the head's own constructor arguments."""
        return () if self.head is None else arguments_of(self.head)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Everything about one model name, single or composed.

    Attributes:
        name: str. The model name (`"rnr-bpr-svd"`).
        label: str. The table label (`"RnR(BPR,SVD)"`).
        model_class: class. What `build_model` instantiates.
        composition: str or `None`. "vanilla" or "rnr" for composed names.
        ranker: str or `None`. The ranker's registered name.
        rater: str or `None`. The rater's registered name.
        trainable: bool.
        algorithms: tuple of `Algorithm`: the registrations it is made of.
    """

    name: str
    label: str
    model_class: type
    composition: str
    ranker: str
    rater: str
    trainable: bool
    algorithms: tuple

    def space(self, space="paper"):
        """Hyperparameter name -> `Choice` the algorithms declare."""
        if space not in SPACES:
            raise ValueError(
                f"`space` must be one of {SPACES}. Received: space={space!r}"
            )
        out = {}
        for algorithm in self.algorithms:
            out.update(algorithm.space.get(space, {}))
        return out

    def constructor_arguments(self):
        """Names `build_model` accepts as hyperparameters."""
        names = set(arguments_of(self.model_class)) - {
            "num_users",
            "num_items",
            "ranker",
            "rater",
        }
        # A composed model's heads, and a single-task model's head, take
        # their own options through the model.
        if self.composition is not None or getattr(
            self.model_class, "head_class", None
        ):
            for algorithm in self.algorithms:
                names.update(algorithm.head_options())
        names.discard("name")
        return sorted(names)

    def check_size(self, num_users, num_items):
        """Raises a ValueError if the model cannot be built at this size
        (`Recommender.check_size`), without building it."""
        self.model_class.check_size(num_users, num_items)

    def build(self, num_users, num_items, **hyperparameters):
        """A fresh model with `hyperparameters` (see `build_model`)."""
        accepted = set(self.constructor_arguments())
        unknown = sorted(set(hyperparameters) - accepted)
        if unknown:
            raise ValueError(
                f"{unknown} do not apply to {self.name!r}. It takes: "
                f"{', '.join(sorted(accepted)) or 'nothing'}"
            )
        if self.composition is None:
            return self.model_class(
                num_users=num_users, num_items=num_items, **hyperparameters
            )
        kwargs = dict(hyperparameters)
        heads = {}
        for role in ("ranker", "rater"):
            algorithm = _REGISTRY[getattr(self, role)]
            options = {
                key: kwargs.pop(key)
                for key in algorithm.head_options()
                if key in kwargs
            }
            heads[role] = algorithm.head(name=algorithm.name, **options)
        return self.model_class(
            num_users=num_users, num_items=num_items, **heads, **kwargs
        )


def arguments_of(cls):
    """The named (positional-or-keyword) constructor arguments of `cls`."""
    return tuple(
        name
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    )


def register(algorithm):
    """Adds `algorithm` (an `Algorithm`) to the zoo. Returns it.

    Registering the same name twice with another class is an error;
    registering the identical entry again (a module re-imported) is not.
    """
    if not isinstance(algorithm, Algorithm):
        raise ValueError(
            f"`algorithm` must be an `Algorithm`. Received: {algorithm!r}"
        )
    known = _REGISTRY.get(algorithm.name)
    if known is not None and (
        known.model is not algorithm.model or known.head is not algorithm.head
    ):
        raise ValueError(
            f"An algorithm named {algorithm.name!r} is registered already "
            f"({known.model.__name__})"
        )
    _REGISTRY[algorithm.name] = algorithm
    return algorithm


def unregister(name):
    """Removes a registration (for tests and experiments)."""
    _REGISTRY.pop(name, None)


def register_composition(prefix, model_class, label_format):
    """Makes `<prefix>-<ranker>-<rater>` a model name for every ranker and
    rater: `model_class(ranker=..., rater=...)`, labelled
    `label_format.format(ranker=..., rater=...)`."""
    if not isinstance(prefix, str) or not _NAME.match(prefix):
        raise ValueError(f"Bad composition prefix {prefix!r}")
    COMPOSITIONS[prefix] = (model_class, label_format)


_loaded = False


def _load():
    """Imports the modules that register algorithms, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        importlib.import_module(entry.value)


def algorithm(name):
    """The `Algorithm` registered as `name`."""
    _load()
    if name not in _REGISTRY:
        raise ValueError(
            f"Unknown algorithm {name!r}. Known: {sorted(_REGISTRY)}"
        )
    return _REGISTRY[name]


def names(kind=None):
    """Registered algorithm names (of one `kind`), in registration order."""
    _load()
    if kind is not None and kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}. Received: {kind!r}")
    return [n for n, a in _REGISTRY.items() if kind is None or a.kind == kind]


def model_names():
    """Every model name: registered algorithms, then each composition of
    each ranker with each rater."""
    out = names()
    for prefix in COMPOSITIONS:
        for ranker in names("ranker"):
            for rater in names("rater"):
                out.append(f"{prefix}-{ranker}-{rater}")
    return out


def spec(name):
    """The `ModelSpec` of a model name, registered or composed.

    Raises:
        ValueError: an unknown name; the message lists the known ones and
            how composed names are formed.
    """
    _load()
    if not isinstance(name, str):
        raise ValueError(f"A model name must be a str. Received: {name!r}")
    if name in _REGISTRY:
        entry = _REGISTRY[name]
        return ModelSpec(
            name=name,
            label=entry.label,
            model_class=entry.model,
            composition=None,
            ranker=name if entry.kind == "ranker" else None,
            rater=name if entry.kind == "rater" else None,
            trainable=entry.trainable,
            algorithms=(entry,),
        )
    prefix, _, rest = name.partition("-")
    ranker, _, rater = rest.partition("-")
    if (
        prefix in COMPOSITIONS
        and _REGISTRY.get(ranker) is not None
        and _REGISTRY[ranker].kind == "ranker"
        and _REGISTRY.get(rater) is not None
        and _REGISTRY[rater].kind == "rater"
    ):
        model_class, label = COMPOSITIONS[prefix]
        r, p = _REGISTRY[ranker], _REGISTRY[rater]
        return ModelSpec(
            name=name,
            label=label.format(ranker=r.label, rater=p.label),
            model_class=model_class,
            composition=prefix,
            ranker=ranker,
            rater=rater,
            trainable=True,
            algorithms=(r, p),
        )
    raise ValueError(
        f"Unknown model {name!r}. Known: {', '.join(names())}; or "
        f"<{'|'.join(COMPOSITIONS)}>-<ranker>-<rater> with a ranker in "
        f"{names('ranker')} and a rater in {names('rater')}"
    )


def is_model_name(name):
    """Whether `spec(name)` would succeed."""
    try:
        spec(name)
    except ValueError:
        return False
    return True


def label(name):
    """The table label of a model name."""
    return spec(name).label


def build_model(name, num_users, num_items, **hyperparameters):
    """A fresh zoo model by name.

    Args:
        name: str. A registered or composed model name.
        num_users: int.
        num_items: int.
        **hyperparameters: constructor arguments of the model and, for
            composed models, of its heads (e.g. `alpha`, `l2`,
            `corruption`); a name the model does not take is an error.

    Example:

    >>> model = build_model("rnr-cdae-svd", 3, 4, embedding_dim=2,
    ...                     corruption=0.3)
    >>> model.ranker.corruption
    0.3
    """
    return spec(name).build(num_users, num_items, **hyperparameters)


def markdown_table():
    """The registered algorithms as a Markdown table (for the docs)."""
    _load()
    lines = [
        "| name | label | kind | class | what | reference |",
        "|---|---|---|---|---|---|",
    ]
    for entry in _REGISTRY.values():
        lines.append(
            f"| `{entry.name}` | {entry.label} | {entry.kind} | "
            f"`{entry.model.__name__}` | {entry.description} | "
            f"{entry.reference or '-'} |"
        )
    return "\n".join(lines)

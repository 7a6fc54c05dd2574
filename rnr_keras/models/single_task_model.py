"""One head of `MultiTaskModel` on its own: the single-task zoo models."""

from rnr_keras import registry
from rnr_keras.api_export import rnr_export
from rnr_keras.layers.ranker import Ranker
from rnr_keras.models.multi_task_model import MultiTaskModel
from rnr_keras.models.recommender import Recommender


def _reject_head_arguments(cls_name, kwargs, alpha):
    """Single-task models fix their heads; refuse arguments that disagree."""
    given = kwargs.pop("alpha", alpha)
    if given is None or float(given) != alpha:
        raise ValueError(
            f"{cls_name} is single-task: its `alpha` is {alpha}. "
            f"Received: alpha={given!r}"
        )
    for key in ("ranker", "rater", "post_consumption", "activation"):
        if key in kwargs:
            raise ValueError(
                f"{cls_name} fixes its heads and takes no `{key}`. "
                f"Received: {key}={kwargs[key]!r}"
            )


@rnr_export
class SingleTaskModel(MultiTaskModel):
    """A ranker alone (`alpha` 1) or a rater alone (`alpha` 0).

    A subclass names its head in `head_class` and is done: the head's own
    constructor arguments become the model's (`CDAE(corruption=0.3)`), are
    kept as attributes of the same names and go into the config after
    `embedding_dim` and `l2`. The head is called after the model class
    (`BPR`'s head is the layer "bpr"). `alpha`, `ranker`, `rater`,
    `post_consumption` and `activation` are fixed and refused.

    Args:
        num_users: int. Number of user indices.
        num_items: int. Number of item indices.
        embedding_dim: int. Width of U and I. Defaults to 50 (paper).
        l2: float. The regularisation weight. Defaults to 0.001.
        **kwargs: the head's options, and `keras.Model` arguments.
    """

    #: The `Ranker` or `Rater` class; set by each subclass.
    head_class = None

    def __init__(
        self,
        num_users: int,
        num_items: int,
        embedding_dim: int = 50,
        l2: float = 0.001,
        **kwargs,
    ):
        if self.head_class is None:
            raise TypeError(f"{type(self).__name__} must set `head_class`")
        role = "ranker" if issubclass(self.head_class, Ranker) else "rater"
        alpha = 1.0 if role == "ranker" else 0.0
        self.head_options = registry.arguments_of(self.head_class)
        options = {key: kwargs.pop(key) for key in self.head_options if key in kwargs}
        _reject_head_arguments(type(self).__name__, kwargs, alpha=alpha)
        head = self.head_class(name=type(self).__name__.lower(), **options)
        heads = {"ranker": None, "rater": None, role: head}
        super().__init__(
            num_users,
            num_items,
            **heads,
            embedding_dim=embedding_dim,
            alpha=alpha,
            l2=l2,
            **kwargs,
        )
        for key in self.head_options:
            setattr(self, key, getattr(head, key))

    def get_config(self):
        config = Recommender.get_config(self)
        config.update({"embedding_dim": self.embedding_dim, "l2": self.l2})
        config.update({key: getattr(self, key) for key in self.head_options})
        return config

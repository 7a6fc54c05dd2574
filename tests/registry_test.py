import pytest

from rnr_keras import registry
from rnr_keras.layers import BPRRanker
from rnr_keras.layers import CDAERanker
from rnr_keras.layers import SVDRater
from rnr_keras.models import BPR
from rnr_keras.models import CDAE
from rnr_keras.models import SVD
from rnr_keras.models import Popularity
from rnr_keras.models import RnRModel
from rnr_keras.models import VanillaModel

EXPECTED = {
    "popularity": (Popularity, None, None, "Popularity"),
    "svd": (SVD, None, SVDRater, "SVD"),
    "bpr": (BPR, BPRRanker, None, "BPR"),
    "cdae": (CDAE, CDAERanker, None, "CDAE"),
    "vanilla-bpr-svd": (VanillaModel, BPRRanker, SVDRater, "Vanilla(BPR,SVD)"),
    "vanilla-cdae-svd": (VanillaModel, CDAERanker, SVDRater, "Vanilla(CDAE,SVD)"),
    "rnr-bpr-svd": (RnRModel, BPRRanker, SVDRater, "RnR(BPR,SVD)"),
    "rnr-cdae-svd": (RnRModel, CDAERanker, SVDRater, "RnR(CDAE,SVD)"),
}


class TestNames:
    def test_paper_models_are_known_with_their_labels(self):
        names = registry.model_names()
        for name, (cls, ranker, rater, label) in EXPECTED.items():
            assert name in names
            assert registry.label(name) == label
            model = registry.build_model(name, num_users=4, num_items=6)
            assert type(model) is cls, name
            assert (model.num_users, model.num_items) == (4, 6)
            if cls is not Popularity:
                assert type(model.ranker) is ranker or (
                    ranker is None and model.ranker is None
                ), name
                assert type(model.rater) is rater or (
                    rater is None and model.rater is None
                ), name

    def test_every_ranker_rater_pair_composes(self):
        names = registry.model_names()
        for ranker in registry.names("ranker"):
            for rater in registry.names("rater"):
                for prefix in ("vanilla", "rnr"):
                    assert f"{prefix}-{ranker}-{rater}" in names
        spec = registry.spec("vanilla-cdae-svd")
        assert (spec.composition, spec.ranker, spec.rater) == ("vanilla", "cdae", "svd")
        assert spec.trainable

    def test_kinds(self):
        assert {"bpr", "cdae"} <= set(registry.names("ranker"))
        assert "svd" in registry.names("rater")
        assert "popularity" in registry.names("model")
        assert not registry.spec("popularity").trainable
        with pytest.raises(ValueError, match="`kind` must be one of"):
            registry.names("head")

    @pytest.mark.parametrize(
        "name", ["foo", "rnr-bpr", "rnr-svd-bpr", "mixed-bpr-svd", "rnr-bpr-svd-x"]
    )
    def test_unknown_names(self, name):
        assert not registry.is_model_name(name)
        with pytest.raises(ValueError, match=f"Unknown model '{name}'. Known: "):
            registry.spec(name)


class TestBuildModel:
    def test_hyperparameters_reach_the_model(self):
        model = registry.build_model(
            "rnr-bpr-svd", num_users=4, num_items=6, alpha=0.5, l2=0.01,
            embedding_dim=3,
        )
        assert (model.alpha, model.l2, model.embedding_dim) == (0.5, 0.01, 3)

    @pytest.mark.parametrize("name", ["cdae", "vanilla-cdae-svd", "rnr-cdae-svd"])
    def test_head_options_reach_the_head(self, name):
        model = registry.build_model(
            name, num_users=4, num_items=6, corruption=0.5,
            hidden_activation="tanh",
        )
        assert model.ranker.corruption == 0.5
        assert model.ranker.hidden_activation == "tanh"

    @pytest.mark.parametrize("name", ["bpr", "rnr-bpr-svd", "svd"])
    def test_options_of_other_models_are_refused(self, name):
        with pytest.raises(
            ValueError, match=rf"\['corruption'\] do not apply to '{name}'. It takes: "
        ):
            registry.build_model(name, num_users=4, num_items=6, corruption=0.5)

    def test_single_task_models_take_no_alpha(self):
        assert "alpha" not in registry.spec("bpr").constructor_arguments()
        assert "alpha" in registry.spec("rnr-bpr-svd").constructor_arguments()
        assert "activation" not in registry.spec("vanilla-bpr-svd").constructor_arguments()


class TestRegister:
    def test_a_new_ranker_composes_without_code(self):
        class TinyBPR(BPRRanker):
            pass

        entry = registry.Algorithm(
            name="tinybpr", label="TinyBPR", kind="ranker", model=BPR, head=TinyBPR,
            space={"wide": {"l2": registry.Choice((0.1, 0.2), default=0.1)}},
        )
        registry.register(entry)
        try:
            assert registry.register(entry) is entry  # idempotent
            model = registry.build_model("rnr-tinybpr-svd", 3, 4, embedding_dim=2)
            assert type(model.ranker) is TinyBPR
            assert registry.label("vanilla-tinybpr-svd") == "Vanilla(TinyBPR,SVD)"
            assert registry.spec("rnr-tinybpr-svd").space("wide")["l2"].values == (0.1, 0.2)
            with pytest.raises(ValueError, match="registered already"):
                registry.register(
                    registry.Algorithm(
                        name="tinybpr", label="x", kind="ranker", model=CDAE,
                        head=CDAERanker,
                    )
                )
        finally:
            registry.unregister("tinybpr")
        assert not registry.is_model_name("rnr-tinybpr-svd")

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"name": "my-model"}, "`name` must be lower case"),
            ({"kind": "scorer"}, "`kind` must be one of"),
            ({"kind": "ranker"}, "A ranker needs a `head`"),
            ({"space": {"huge": {}}}, "Unknown search space 'huge'"),
            ({"space": {"paper": {"l2": [1, 2]}}}, "must be a `Choice`"),
        ],
    )
    def test_bad_registrations(self, kwargs, message):
        arguments = {"name": "thing", "label": "Thing", "kind": "model", "model": Popularity}
        arguments.update(kwargs)
        with pytest.raises(ValueError, match=message):
            registry.Algorithm(**arguments)

    def test_choice_checks_its_default(self):
        with pytest.raises(ValueError, match="`default` must be one of"):
            registry.Choice((1, 2), default=3)
        with pytest.raises(ValueError, match="must not be empty"):
            registry.Choice((), default=None)

    def test_markdown_table_lists_every_algorithm(self):
        table = registry.markdown_table()
        for name in registry.names():
            assert f"| `{name}` |" in table


class TestPlugins:
    def test_entry_point_modules_are_imported_on_first_lookup(self, monkeypatch):
        class Entry:
            value = "some_package.recommenders"

        imported = []
        monkeypatch.setattr(registry, "_loaded", False)
        monkeypatch.setattr(
            registry.metadata,
            "entry_points",
            lambda group: [Entry()] if group == registry.ENTRY_POINT_GROUP else [],
        )
        monkeypatch.setattr(registry.importlib, "import_module", imported.append)
        registry.names()
        assert imported == [*registry.BUILTIN_MODULES, "some_package.recommenders"]
        registry.names()  # once only
        assert len(imported) == len(registry.BUILTIN_MODULES) + 1

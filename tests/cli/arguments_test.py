import argparse

import numpy as np
import pytest

from rnr_keras import registry
from rnr_keras.cli import arguments
from rnr_keras.datasets import DATASETS
from rnr_keras.layers import BPRRanker
from rnr_keras.models import BPR


def _parser(*adders, **kwargs):
    parser = argparse.ArgumentParser(prog="test")
    for add in adders:
        add(parser, **kwargs)
    return parser


class TestModelNames:
    def test_names_come_from_the_registry(self):
        assert list(arguments.ModelNames()) == registry.model_names()
        assert "rnr-bpr-svd" in arguments.ModelNames()
        assert "als" not in arguments.ModelNames()
        assert "rnr-svd-bpr" not in arguments.ModelNames()  # rater, ranker

    def test_every_composition_is_accepted(self):
        for prefix in registry.COMPOSITIONS:
            for ranker in registry.names("ranker"):
                for rater in registry.names("rater"):
                    assert f"{prefix}-{ranker}-{rater}" in arguments.ModelNames()

    def test_read_when_asked_so_a_new_registration_shows(self, capsys):
        # The parser is built before the registration: choices are lazy.
        parser = _parser(arguments.add_model)
        entry = registry.Algorithm(
            name="bpr_copy", label="BPRCopy", kind="ranker", model=BPR,
            head=BPRRanker,
        )
        registry.register(entry)
        try:
            assert parser.parse_args(["rnr-bpr_copy-svd"]).model == (
                "rnr-bpr_copy-svd"
            )
            with pytest.raises(SystemExit):
                parser.parse_args(["--help"])
            text = " ".join(capsys.readouterr().out.split())
            assert "bpr_copy" in text and "rnr-bpr_copy-svd" in text
        finally:
            registry.unregister("bpr_copy")
        assert "rnr-bpr_copy-svd" not in arguments.ModelNames()

    def test_unknown_model_is_a_usage_error_listing_the_names(self, capsys):
        parser = _parser(arguments.add_model)
        with pytest.raises(SystemExit) as info:
            parser.parse_args(["als"])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "invalid choice: 'als'" in err and "rnr-cdae-svd" in err


class TestSplitOptions:
    def test_add_split_adds_each_option_once(self):
        args = _parser(arguments.add_split).parse_args([])
        assert vars(args) == {
            "dataset": "synthetic",
            "data_file": None,
            "columns": None,
            "data_dir": None,
            "dataset_arg": [],
            "n_users": None,
            "seed": 0,
        }

    def test_without_seed(self):
        args = _parser(arguments.add_split, seed=False).parse_args([])
        assert "seed" not in vars(args)

    def test_values(self):
        args = _parser(arguments.add_split).parse_args(
            [
                "--dataset", "ml-1m", "--data-dir", "d", "--dataset-arg",
                "a=1", "--dataset-arg", "b=x", "--n-users", "7", "--seed", "3",
            ]
        )
        assert (args.dataset, args.data_dir, args.n_users, args.seed) == (
            "ml-1m", "d", 7, 3,
        )
        assert args.dataset_arg == ["a=1", "b=x"]

    @pytest.mark.parametrize(
        "argv", [["--dataset", "netflix"], ["--n-users", "x"], ["--seed", "1.5"]]
    )
    def test_usage_errors(self, argv):
        with pytest.raises(SystemExit) as info:
            _parser(arguments.add_split).parse_args(argv)
        assert info.value.code == 2

    def test_positional_dataset(self):
        parser = _parser(arguments.add_dataset, positional=True)
        assert parser.parse_args(["ml-100k"]).dataset == "ml-100k"
        for dataset in DATASETS:
            assert parser.parse_args([dataset]).dataset == dataset

    def test_seed_help_names_what_it_seeds(self, capsys):
        parser = _parser(arguments.add_seed, what="the search")
        with pytest.raises(SystemExit):
            parser.parse_args(["--help"])
        assert "Seed of the search (default: 0)." in capsys.readouterr().out


class TestTrainingOptions:
    def test_defaults(self):
        parser = argparse.ArgumentParser()
        arguments.add_training(parser, "Most epochs", "Patience")
        args = parser.parse_args([])
        assert (args.epochs, args.patience, args.batch_size) == (100, None, None)

    def test_without_batch_size(self):
        parser = argparse.ArgumentParser()
        arguments.add_training(parser, "Most epochs", "Patience", batch_size=False)
        assert "batch_size" not in vars(parser.parse_args([]))

    @pytest.mark.parametrize(
        "values, message",
        [
            ({"epochs": 0}, "`epochs` must be at least 1. Received: epochs=0"),
            ({"patience": -1}, "`patience` must be at least 0"),
            ({"batch_size": 0}, "`batch_size` must be at least 1"),
        ],
    )
    def test_check_training(self, values, message):
        args = argparse.Namespace(
            **{"epochs": 1, "patience": None, "batch_size": None, **values}
        )
        with pytest.raises(ValueError, match=message):
            arguments.check_training(args)

    def test_check_training_passes_good_values(self):
        arguments.check_training(
            argparse.Namespace(epochs=1, patience=0, batch_size=1)
        )
        arguments.check_training(argparse.Namespace(epochs=5))

    def test_check_at_least(self):
        arguments.check_at_least("k", 1, 1)
        with pytest.raises(ValueError, match=r"`k` must be at least 2\. "
                           r"Received: k=1"):
            arguments.check_at_least("k", 1, 2)


class TestParseDatasetArgs:
    def test_json_values_and_strings(self):
        assert arguments.parse_dataset_args(
            "synthetic", ["num_users=150", "seed=3", "rating_noise=0.5"]
        ) == {"num_users": 150, "seed": 3, "rating_noise": 0.5}

    def test_no_pairs(self):
        assert arguments.parse_dataset_args("ml-100k", []) == {}

    @pytest.mark.parametrize(
        "dataset, pairs, words",
        [
            ("synthetic", ["num_users"], "must be KEY=VALUE"),
            ("synthetic", ["=3"], "must be KEY=VALUE"),
            ("synthetic", ["1x=3"], "must be KEY=VALUE"),
            ("synthetic", ["users=3"], "Unknown --dataset-arg users for synthetic"),
            ("ml-100k", ["seed=1"], "Unknown --dataset-arg seed for ml-100k"),
            (
                "yelp",
                ["time_resolution=day", "num_users=5", "b=1"],
                "Unknown --dataset-arg b, num_users for yelp",
            ),
        ],
    )
    def test_errors(self, dataset, pairs, words):
        with pytest.raises(ValueError, match=words):
            arguments.parse_dataset_args(dataset, pairs)

    def test_unknown_lists_the_known_names(self):
        with pytest.raises(ValueError, match="Known: .*num_users"):
            arguments.parse_dataset_args("synthetic", ["users=3"])

    @pytest.mark.parametrize("dataset", DATASETS)
    def test_time_resolution_for_every_dataset(self, dataset):
        assert arguments.parse_dataset_args(
            dataset, ["time_resolution=day"]
        ) == {"time_resolution": "day"}

    def test_time_resolution_beside_synthetic_arguments(self):
        assert arguments.parse_dataset_args(
            "synthetic", ["time_resolution=hour", "num_users=20"]
        ) == {"time_resolution": "hour", "num_users": 20}

    def test_other_datasets_list_what_they_take(self):
        with pytest.raises(ValueError) as info:
            arguments.parse_dataset_args("ml-100k", ["num_users=3"])
        message = str(info.value)
        assert "num_users" in message
        assert "Known: time_resolution (only synthetic takes others)" in message

    def test_synthetic_lists_time_resolution_too(self):
        with pytest.raises(ValueError, match="Known: time_resolution, shape, num_users"):
            arguments.parse_dataset_args("synthetic", ["users=3"])

    def test_parsed_arguments_load(self, tmp_path):
        # What the CLI hands `datasets.load` (through `runs.make_split`)
        # is accepted there for a real-file dataset.
        from rnr_keras import datasets
        from rnr_keras import runs

        (tmp_path / "u.data").write_text(
            "".join(f"1\t{i}\t4\t{874965000 + i}\n" for i in range(1, 6))
            + "".join(f"2\t{i}\t3\t{875051000 + i}\n" for i in range(1, 6))
        )
        kwargs = arguments.parse_dataset_args(
            "ml-100k", ["time_resolution=day"]
        )
        data, split = runs.make_split(
            "ml-100k", data_dir=str(tmp_path), dataset_args=kwargs
        )
        assert set((data.timestamps % 86400).tolist()) == {0}
        expected = datasets.load(
            "ml-100k", data_dir=str(tmp_path), time_resolution="day"
        )
        np.testing.assert_array_equal(data.items, expected.items)
        assert len(split.val) + len(split.test) == 2

    def test_help_names_time_resolution(self, capsys):
        with pytest.raises(SystemExit):
            _parser(arguments.add_dataset_arg).parse_args(["--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "time_resolution=day" in text

"""Quality floors of the detectors on the corpus's dev split, as scripts/eval-detectors measures
them. The replay is deterministic, so a floor that breaks is a real regression (or a retrained
model that is worse): the floors sit just under the figures in docs/injection-model.md."""

import json
import subprocess
import sys

import pytest

from conftest import EVAL, ROOT


def run_eval(eval_tool, tmp_path, *args):
    out = tmp_path / "eval.json"
    subprocess.run([sys.executable, "%s/scripts/eval-detectors" % ROOT, "--tool", eval_tool,
                    "--json", str(out)] + list(args), check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["files"]


@pytest.fixture(scope="module")
def vigil_dev(eval_tool, corpora, tmp_path_factory):
    return run_eval(eval_tool, tmp_path_factory.mktemp("vigil"))


def injection(files, name):
    return files[name]["detectors"]["prompt_injection"]


def test_direct_attacks_are_caught_at_under_one_percent_false_positives(vigil_dev):
    table = injection(vigil_dev, "injection_direct.dev.jsonl")
    assert table["recall"] >= 0.89
    assert table["fpr"] <= 0.01


def test_german_attacks_are_caught_like_english_ones(vigil_dev):
    german = vigil_dev["injection_direct.dev.jsonl"]["german"]
    assert german["recall"] >= 0.85
    # 2 of the 21 German benign rows: German questions are flagged more often than English ones
    # (docs/injection-model.md), a known weakness this floor keeps from growing.
    assert german["fpr"] <= 0.10


def test_injections_in_tool_results_are_caught(vigil_dev):
    table = injection(vigil_dev, "injection_indirect.dev.jsonl")
    assert table["recall"] >= 0.72
    assert table["fpr"] <= 0.01


def test_no_benign_system_prompt_is_flagged(vigil_dev):
    assert vigil_dev["system_prompts.json"]["by_detector"].get("prompt_injection", 0) == 0


def test_working_agent_runs_are_rarely_flagged_as_injections(vigil_dev):
    runs = vigil_dev["trajectories.dev.jsonl"]
    flagged = sum(source["by_detector"].get("prompt_injection", 0)
                  for source in runs["by_source"].values())
    assert flagged <= 3  # of 53 runs


def test_the_mesedi_preset_keeps_the_pattern_findings(eval_tool, corpora, tmp_path):
    files = run_eval(eval_tool, tmp_path, "--preset", "mesedi", "--sdk", "mesedi")
    direct = injection(files, "injection_direct.dev.jsonl")
    # 66 with the patterns of the protocol; the folding of fancy-text letters, which both presets
    # apply before matching, adds a jailbreak written in small capitals.
    assert (direct["tp"], direct["fp"]) == (67, 0)
    assert injection(files, "injection_indirect.dev.jsonl")["tp"] == 0


def test_clients_without_result_text_still_get_summaries_read(eval_tool, corpora, tmp_path):
    files = run_eval(eval_tool, tmp_path, "--sdk", "mesedi")
    table = injection(files, "injection_indirect.dev.jsonl")
    assert table["recall"] >= 0.35
    assert table["fpr"] <= 0.01


def test_training_reproduces_the_committed_model(train_tool, corpora, tmp_path):
    out = tmp_path / "model.bin"
    subprocess.run([train_tool, "--corpora", corpora, "--out", str(out), "--no-loso"],
                   check=True, stdout=subprocess.DEVNULL)
    with open("%s/detectors/injection_model.bin" % ROOT, "rb") as committed:
        assert out.read_bytes() == committed.read()

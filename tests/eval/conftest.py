"""Shared fixtures of the detection-quality tests: the corpus and the built tools."""

import importlib.machinery
import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def _load_eval_script():
    path = os.path.join(ROOT, "scripts", "eval-detectors")
    loader = importlib.machinery.SourceFileLoader("eval_detectors", path)
    spec = importlib.util.spec_from_loader("eval_detectors", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


EVAL = _load_eval_script()


@pytest.fixture(scope="session")
def corpora():
    path = EVAL.corpora_dir()
    if path is None:
        pytest.skip("detection corpus not found (set VIGIL_CORPORA)")
    return path


def _tool(variable, name):
    path = os.environ.get(variable) or os.path.join(ROOT, "build", name)
    if not os.path.isfile(path):
        pytest.skip("%s not built (set %s)" % (name, variable))
    return path


@pytest.fixture(scope="session")
def eval_tool():
    return _tool("VIGIL_EVAL_TOOL", "vigil_eval_detectors")


@pytest.fixture(scope="session")
def train_tool():
    return _tool("VIGIL_TRAIN_TOOL", "vigil_train_injection_model")

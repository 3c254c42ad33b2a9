"""`toolkit model` in a real scaffolded, reproduced project: gated promotion, rollback, card, --base.

The project is the shared reproduced scaffold (tests/test_scaffold.py) plus one more commit whose
model is worse (much stronger regularisation); gto reads everything we write as we do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gitrepo import git
from tests.registry_helpers import Clock, gto_json, toolkit
from tests.scaffold_helpers import isolated_env
from tests.test_scaffold import Reproduced, reproduced  # noqa: F401 - the shared scaffold fixture
from toolkit import dvc as tdvc


@dataclass(frozen=True)
class TwoModels:
    """A scaffolded project with a good model commit and a worse one after it."""

    root: Path
    good: str
    worse: str


def _git(root: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def two_models(
    reproduced: Reproduced,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    _git_config: Path,
) -> TwoModels:
    env = isolated_env(_git_config)
    root = tmp_path_factory.mktemp("registry") / "demo"
    shutil.copytree(reproduced.root, root, symlinks=True)
    _git(root, env, "add", "-A")
    _git(root, env, "commit", "-q", "-m", "Reproduce: the first model")
    good = _git(root, env, "rev-parse", "HEAD")
    params = root / "params.yaml"
    params.write_text(params.read_text().replace("  C: 1.0 ", "  C: 0.0001 "))
    tdvc.repro(root, environ=env)
    _git(root, env, "commit", "-q", "-am", "Stronger regularisation")
    return TwoModels(root, good, _git(root, env, "rev-parse", "HEAD"))


@pytest.fixture
def project(two_models: TwoModels, tmp_path: Path) -> TwoModels:
    """A private copy (tags are written into it)."""
    root = tmp_path / "demo"
    shutil.copytree(two_models.root, root, symlinks=True)
    return TwoModels(root, two_models.good, two_models.worse)


def _metrics(root: Path, sha: str) -> dict[str, float]:
    return json.loads(git(root, "show", f"{sha}:eval/metrics.json"))


def test_register_promote_refuse_force_and_roll_back(
    project: TwoModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, clock = project.root, Clock(monkeypatch)
    good, worse = _metrics(root, project.good), _metrics(root, project.worse)
    assert worse["accuracy"] < 0.9 <= good["accuracy"]  # the scaffold's gate `accuracy: min 0.9`

    def model(*args: str) -> tuple[int, str, str]:
        clock.tick()
        return toolkit(root, monkeypatch, "model", *args)

    assert model("register", "classifier", project.good, "-m", "first model")[0] == 0
    code, out, _ = model("register", "classifier", project.worse, "--bump", "minor")
    assert code == 0 and "classifier v0.1.0" in out

    code, out, _ = model("promote", "classifier", "--version", "v0.0.1", "--stage", "prod")
    assert code == 0, out
    assert "no version holds it yet" in out and "accuracy" in out

    before = git(root, "tag", "-l")
    code, out, _ = model("promote", "classifier", "--version", "v0.1.0", "--stage", "prod")
    assert code == 3
    assert "FAIL: accuracy is" in out and "below the minimum 0.9" in out
    assert "against classifier v0.0.1 (holds prod)" in out
    assert git(root, "tag", "-l") == before  # nothing tagged

    code, _, err = model("promote", "classifier", "--version", "v0.1.0", "--stage", "prod", "--force")
    assert code == 2 and "--reason" in err
    code, out, _ = model(
        "promote",
        "classifier",
        "--version",
        "v0.1.0",
        "--stage",
        "prod",
        "--force",
        "--reason",
        "hotfix for #12",
    )
    assert code == 0 and "forced past failed gates" in out
    message = git(root, "tag", "-l", "--format=%(contents)", "classifier#prod#2")
    assert "Forced: hotfix for #12" in message
    assert "- accuracy min 0.9: accuracy is" in message
    assert "Previous holder: v0.0.1" in message
    assert json.loads(model("show", "--json")[1])["classifier"]["stage"] == {"prod": "v0.1.0"}

    code, out, _ = model("rollback", "classifier", "--stage", "prod")
    assert code == 0 and "v0.1.0 -> v0.0.1" in out
    shown = json.loads(model("show", "--json")[1])
    assert shown == {
        "classifier": {"version": "v0.1.0", "stage": {"prod": "v0.0.1"}, "registered": True, "active": True}
    }
    assert shown == gto_json(root, "show")
    history = json.loads(model("history", "classifier", "--json")[1])
    assert history == gto_json(root, "history", "classifier")
    assert "Rollback from v0.1.0" in history[1]["message"] and history[1]["ref"] == "classifier#prod#4"

    # A registry reference works wherever a revision does.
    code, out, _ = toolkit(
        root, monkeypatch, "diff", "--base", "classifier#prod", "--head", "classifier@latest", "--json"
    )
    assert code == 0
    acc = json.loads(out)["metrics"]["eval/metrics.json"]["accuracy"]
    assert (acc["old"], acc["new"]) == (good["accuracy"], worse["accuracy"])
    code, out, _ = toolkit(
        root, monkeypatch, "gates", "--base", "classifier@v0.0.1", "--head", "classifier@v0.1.0"
    )
    assert code == 3


def test_per_stage_promotion_gates(project: TwoModels, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project.root
    good = _metrics(root, project.good)
    config = root / "toolkit.yaml"
    config.write_text(
        config.read_text() + f"promotion:\n  prod:\n    - metric: f1\n      min: {good['f1'] + 0.01}\n"
    )
    git(root, "commit", "-q", "-am", "stricter prod")
    assert toolkit(root, monkeypatch, "model", "register", "classifier", project.good)[0] == 0
    assert (
        toolkit(root, monkeypatch, "model", "promote", "classifier", "--version", "v0.0.1", "--stage", "dev")[
            0
        ]
        == 0
    )
    code, out, _ = toolkit(
        root, monkeypatch, "model", "promote", "classifier", "--ref", project.good, "--stage", "prod"
    )
    assert code == 3 and "FAIL: f1 is" in out


def test_model_card(project: TwoModels, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project.root
    code, _, err = toolkit(
        root, monkeypatch, "model", "register", "classifier", project.good, "-m", "<b>@team</b>"
    )
    assert code == 0, err
    card_file = root.parent / "card.md"
    code, _, err = toolkit(root, monkeypatch, "model", "card", "classifier@v0.0.1", "-o", str(card_file))
    assert code == 0, err
    card = card_file.read_text()
    good = _metrics(root, project.good)
    assert card.startswith("# Model card: classifier v0.0.1\n")
    assert f"| eval/metrics.json | accuracy | {good['accuracy']:.6g} |" in card
    assert "| params.yaml | train.C | 1 |" in card
    lock = __import__("yaml").safe_load(git(root, "show", f"{project.good}:dvc.lock"))
    train = lock["stages"]["train"]
    for dep in train["deps"]:
        assert f"| `{dep['path']}` | `{dep['md5']}` |" in card
    assert f"`{train['outs'][0]['md5']}`" in card
    assert project.good in card
    assert "| registration |" in card
    # The tag message is untrusted text: no HTML, no mention.
    assert "&lt;b&gt;@\u200bteam&lt;/b&gt;" in card  # escaped: no HTML, no mention
    assert "<b>" not in card and "@team" not in card


def test_report_shows_production_beside_base_and_head(
    project: TwoModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project.root
    config = root / "toolkit.yaml"
    config.write_text(
        config.read_text() + "report:\n  production: classifier#prod\n  dag: false\n  plots: false\n"
    )
    git(root, "commit", "-q", "-am", "report production")
    args = ("report", "--base", project.good, "--head", project.worse)
    code, out, err = toolkit(root, monkeypatch, *args)
    assert code == 0, err
    assert "No version in `classifier#prod` among this clone's tags" in out
    assert toolkit(root, monkeypatch, "model", "register", "classifier", project.good)[0] == 0
    assert (
        toolkit(
            root, monkeypatch, "model", "promote", "classifier", "--version", "v0.0.1", "--stage", "prod"
        )[0]
        == 0
    )
    code, out, err = toolkit(root, monkeypatch, *args)
    assert code == 0, err
    assert "Against production: classifier\\#prod (v0.0.1)" in out
    good, worse = _metrics(root, project.good), _metrics(root, project.worse)
    row = next(line for line in out.splitlines() if line.startswith("| `accuracy` | `eval/metrics.json` |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert [float(c) for c in cells[2:]] == pytest.approx(
        [good["accuracy"], good["accuracy"], worse["accuracy"]], abs=1e-4
    )


def test_scaffold_smoke_test_passes_the_registered_model_and_stops_a_bad_one(project: TwoModels) -> None:
    import sys

    root = project.root
    git(root, "checkout", "-q", project.good)
    subprocess.run([sys.executable, "-m", "dvc", "checkout", "-q", "models/model.pkl"], cwd=root, check=True)
    ok = subprocess.run([sys.executable, "src/smoke_test.py"], cwd=root, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "predicted 20 held-out rows, accuracy 1.00" in ok.stdout
    # A model that always says "malignant" loads and predicts, but badly: the delivery stops.
    make = (
        "import pickle, numpy as np\n"
        "from sklearn.dummy import DummyClassifier\n"
        "m = DummyClassifier(strategy='constant', constant=1).fit(np.zeros((2, 30)), [0, 1])\n"
        "(p := __import__('pathlib').Path('models/model.pkl')).unlink()\n"
        "p.write_bytes(pickle.dumps(m))\n"
    )
    subprocess.run([sys.executable, "-c", make], cwd=root, check=True)
    bad = subprocess.run([sys.executable, "src/smoke_test.py"], cwd=root, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "is below 0.7" in bad.stderr


def test_the_deploy_jobs_steps_in_a_fresh_clone(
    project: TwoModels, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What deploy.yml runs, in order, on a clone of a pushed stage tag, against the test server."""
    import sys

    from tests.github_server import TOKEN, GitHubServer

    root = project.root
    assert toolkit(root, monkeypatch, "model", "register", "classifier", project.good)[0] == 0
    assert (
        toolkit(
            root, monkeypatch, "model", "promote", "classifier", "--version", "v0.0.1", "--stage", "prod"
        )[0]
        == 0
    )
    # As main.yml does on every push to main: the model of each commit reaches the DVC remote.
    for sha in (project.good, project.worse):
        git(root, "checkout", "-q", sha)
        subprocess.run([sys.executable, "-m", "dvc", "push", "-q"], cwd=root, check=True)
    clone = tmp_path / "clone"  # beside the project, so the relative DVC remote resolves the same
    git(tmp_path, "clone", "-q", str(root), str(clone))
    git(clone, "checkout", "-q", "classifier#prod#1")

    outputs = tmp_path / "github-output"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    ref = "refs/tags/classifier#prod#1"
    code, _, err = toolkit(clone, monkeypatch, "model", "describe", ref, "--json")
    assert code == 0, err
    step = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert (step["event"], step["stage"], step["path"]) == ("assignment", "prod", "models/model.pkl")
    monkeypatch.delenv("GITHUB_OUTPUT")

    pull = [sys.executable, "-m", "dvc", "pull", "--", step["path"], "data/prepared/test.csv"]
    pulled = subprocess.run(pull, cwd=clone, capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    smoke = subprocess.run([sys.executable, "src/smoke_test.py"], cwd=clone, capture_output=True, text=True)
    assert smoke.returncode == 0, smoke.stderr

    with GitHubServer() as gh:
        gh.add_repo("octo/demo")
        for name, value in {
            "GITHUB_REPOSITORY": "octo/demo",
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": gh.url,
        }.items():
            monkeypatch.setenv(name, value)
        code, _, err = toolkit(clone, monkeypatch, "model", "deliver", ref)
        assert code == 0, err
        [release] = gh.releases["octo/demo"]
        model = next(a for a in gh.assets[release["id"]] if a["name"] == "model.pkl")
        assert gh.asset_data[model["id"]] == (clone / "models/model.pkl").read_bytes()
        assert release["tag_name"] == "classifier@v0.0.1" and release["target_commitish"] == project.good
        assert "| eval/metrics.json | accuracy |" in release["body"]

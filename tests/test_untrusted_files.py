"""Attacks through the files a pull request controls (issue 9), replayed with `toolkit diff`.

Each runs the real CLI in a child process with a 1.5 GB address-space limit and a timeout, so
the attack fails the test (it does not take the machine down) wherever it is not stopped.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, git, make_repo

TIMEOUT = 60


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def toolkit(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit,
    )


def refused(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    """exit 1, one `Error:` naming what is wrong, no traceback, no 'bug'."""
    assert done.returncode == 1, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    err = done.stderr
    assert "Traceback" not in err and "bug" not in err, err
    assert err.startswith("Error: "), err
    for needle in needles:
        assert needle in err, err
    return err


METRICS_ONLY = "metrics:\n  - eval/m.json\n"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"aws_secret": 123456789}))
    return path


def test_absolute_and_dotdot_paths_in_dvc_yaml_are_refused(tmp_path: Path, secret: Path) -> None:
    for i, declared in enumerate((str(secret), "../secret.json", "eval/../../secret.json")):
        repo = make_repo(tmp_path / f"r{i}", {"dvc.yaml": f"metrics:\n  - {declared}\n"})
        done = toolkit(repo, "diff", "--json")
        err = refused(done, "outside the repository")
        assert "aws_secret" not in done.stdout + err


def test_a_symlink_leading_out_of_the_repo_is_refused(tmp_path: Path, secret: Path) -> None:
    repo = make_repo(tmp_path / "r", {"dvc.yaml": METRICS_ONLY})
    (repo / "eval").mkdir()
    os.symlink(secret, repo / "eval" / "m.json")
    done = toolkit(repo, "diff", "--json")
    refused(done, "eval/m.json", "symlink leading outside the repository")
    assert "aws_secret" not in done.stdout


def test_a_committed_symlink_to_dev_zero_is_never_read(tmp_path: Path) -> None:
    # Committed as a symlink: the commit is read from git objects (a symlink is no metrics
    # file there); the checkout on disk is refused. Before, this grew past 6 GB in seconds.
    repo = make_repo(tmp_path / "r", {"dvc.yaml": METRICS_ONLY, "eval/m.json": '{"acc": 1}'})
    (repo / "eval" / "m.json").unlink()
    os.symlink("/dev/zero", repo / "eval" / "m.json")
    commit_all(repo, "metrics -> /dev/zero")
    committed = toolkit(repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--json")
    assert committed.returncode == 0, committed.stderr
    assert json.loads(committed.stdout)["metrics"]["eval/m.json"]["acc"]["old"] == 1
    workspace = toolkit(repo, "diff", "--json")
    refused(workspace, "eval/m.json", "outside the repository")


def test_a_fifo_or_device_inside_the_repo_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"dvc.yaml": METRICS_ONLY})
    (repo / "eval").mkdir()
    os.mkfifo(repo / "eval" / "m.json")  # a read would block forever
    refused(toolkit(repo, "diff"), "eval/m.json", "not a regular file")


def test_files_over_the_size_cap_are_refused(tmp_path: Path) -> None:
    from toolkit.safefs import MAX_FILE_BYTES

    big = b'{"acc": 1, "pad": "' + b"x" * (MAX_FILE_BYTES + 10) + b'"}'
    repo = make_repo(tmp_path / "r", {"dvc.yaml": METRICS_ONLY, "eval/m.json": big})
    refused(toolkit(repo, "diff", "--base", "HEAD", "--head", "HEAD"), "eval/m.json at HEAD", "32 MiB")
    refused(toolkit(repo, "diff"), "eval/m.json", "32 MiB")


def test_an_md5_in_dvc_lock_cannot_name_a_path(tmp_path: Path, secret: Path) -> None:
    dvc_yaml = "stages:\n  evaluate:\n    cmd: python e.py\n    metrics:\n      - eval/m.json\n"
    lock = (
        "schema: '2.0'\nstages:\n  evaluate:\n    cmd: python e.py\n    outs:\n"
        f"    - path: eval/m.json\n      md5: ..{secret}\n"
    )
    repo = make_repo(tmp_path / "r", {"dvc.yaml": dvc_yaml, "dvc.lock": lock})
    (repo / ".dvc" / "cache").mkdir(parents=True)
    done = toolkit(repo, "diff", "--base", "HEAD", "--head", "HEAD", "--json")
    refused(done, "dvc.lock at HEAD", "eval/m.json", "not an md5 hash")
    assert "aws_secret" not in done.stdout + done.stderr


BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("eval/m.yaml", BOMB, "expands to more than"),
        ("eval/m.yaml", "a: &a [1, *a]\n", "refers to itself"),
        ("eval/m.json", "[" * 5000 + "]" * 5000, "nests deeper than 100 levels"),
        ("eval/m.yaml", "a:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(200)), "nest"),
        ("eval/m.json", '{"acc": ' + "9" * 5000 + "}", "more than 4,300 digits"),
        ("params.yaml", "lr: " + "9" * 5000 + "\n", "more than 4,300 digits"),
        ("params.yaml", BOMB, "expands to more than"),
    ],
)
def test_hostile_yaml_and_json_end_in_a_clear_error(
    tmp_path: Path, name: str, content: str, needle: str
) -> None:
    dvc_yaml = f"metrics:\n  - {name}\n" if name.startswith("eval/") else "params:\n  - params.yaml\n"
    repo = make_repo(tmp_path / "r", {"dvc.yaml": dvc_yaml, name: content})
    refused(toolkit(repo, "diff", "--base", "HEAD", "--head", "HEAD"), f"{name} at HEAD", needle)
    refused(toolkit(repo, "diff"), name, needle)


def test_toolkit_yaml_reads_yaml_1_2_like_every_other_file(tmp_path: Path) -> None:
    from toolkit.config import load_config

    (tmp_path / "toolkit.yaml").write_text(
        "gates:\n  - metric: acc\n    max_drop: 1e-3\n  - metric: on\n    min: 0.5\n"
    )
    config = load_config(tmp_path)
    assert config.gates[0].spec["max_drop"] == 0.001  # YAML 1.1 read a string
    assert config.gates[1].spec["metric"] == "on"  # YAML 1.1 read True


def test_toolkit_yaml_alias_bomb_is_a_config_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"toolkit.yaml": "x: 1\n" + BOMB, "dvc.yaml": "stages: {}\n"})
    refused(toolkit(repo, "gates"), "toolkit.yaml", "expands to more than")


def test_report_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    files = {"toolkit.yaml": 'report:\n  id: "nightly\\n"\n', "dvc.yaml": "stages: {}\n"}
    repo = make_repo(tmp_path / "r", files)
    refused(toolkit(repo, "gates"), "report.id")


def test_a_committed_dvc_py_is_never_imported(tmp_path: Path) -> None:
    # `python -m dvc` in the repo would import it instead of DVC; -P keeps it off sys.path.
    pwned = tmp_path / "PWNED"
    repo = make_repo(
        tmp_path / "r",
        {
            "dvc.yaml": "stages:\n  s:\n    cmd: echo 1 > out.txt\n    outs:\n      - out.txt\n",
            "dvc.py": f"open({str(pwned)!r}, 'w').write('imported')\nraise SystemExit(0)\n",
            "toolkit.yaml": "report:\n  dag: true\n",
        },
    )
    init = subprocess.run([sys.executable, "-P", "-m", "dvc", "init", "-q"], cwd=repo, capture_output=True)
    assert init.returncode == 0, init.stderr
    commit_all(repo, "dvc init")
    done = toolkit(repo, "repro")
    assert done.returncode == 0, done.stderr
    assert (repo / "out.txt").read_text().strip() == "1"
    report = toolkit(repo, "report", "--base", "HEAD")
    assert report.returncode == 0, report.stderr
    assert "```mermaid" in report.stdout  # `dvc dag` ran, and was DVC
    assert not pwned.exists()
    assert git(repo, "status", "--porcelain", "dvc.py") == ""


def test_children_never_see_the_token(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"dvc.yaml": "stages:\n  s:\n    cmd: env > env.txt\n    outs:\n      - env.txt\n"},
    )
    init = subprocess.run([sys.executable, "-P", "-m", "dvc", "init", "-q"], cwd=repo, capture_output=True)
    assert init.returncode == 0, init.stderr
    token = "ghs_NOTFORTHEPIPELINE0123"
    done = toolkit(repo, "repro", env={"GITHUB_TOKEN": token, "GH_TOKEN": token})
    assert done.returncode == 0, done.stderr
    seen = (repo / "env.txt").read_text()
    assert "PATH=" in seen and token not in seen


def test_settings_files_symlinked_to_dev_zero_are_never_read_whole(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"dvc.yaml": METRICS_ONLY, "eval/m.json": '{"acc": 1}'})
    (repo / ".dvc").mkdir()
    os.symlink("/dev/zero", repo / ".dvc" / "config")  # DVC's config: ignored, DVC reports it
    done = toolkit(repo, "diff", "--json")
    assert done.returncode == 0, done.stderr
    os.symlink("/dev/zero", repo / "toolkit.yaml")  # ours: refused, naming it
    refused(toolkit(repo, "diff"), "toolkit.yaml", "outside the repository")

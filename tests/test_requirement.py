"""toolkit.requirement: the requirements.txt line reproduces how the toolkit was installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import REPO_ROOT, commit_all, git, write_files
from toolkit import __version__, requirement
from toolkit.errors import ToolkitError

SHA = "0123456789abcdef0123456789abcdef01234567"


def direct_url(**data: object) -> str:
    return json.dumps(data)


def test_index_install_pins_the_version() -> None:
    req = requirement.from_direct_url(None, "1.4.2")
    assert (req.spec, req.source, req.warning) == ("mlops-toolkit==1.4.2", "index", None)


def test_vcs_install_pins_the_commit() -> None:
    req = requirement.from_direct_url(
        direct_url(
            url="https://github.com/acme/mlops-toolkit.git",
            vcs_info={"vcs": "git", "commit_id": SHA, "requested_revision": "main"},
        )
    )
    assert req.spec == f"mlops-toolkit @ git+https://github.com/acme/mlops-toolkit.git@{SHA}"
    assert (req.source, req.warning) == ("vcs", None)


def test_vcs_install_keeps_the_subdirectory() -> None:
    req = requirement.from_direct_url(
        direct_url(
            url="https://github.com/acme/mono.git",
            vcs_info={"vcs": "git", "commit_id": SHA},
            subdirectory="tools/toolkit",
        )
    )
    assert req.spec.endswith(f"@{SHA}#subdirectory=tools/toolkit")


def test_local_vcs_install_is_written_but_warned_about() -> None:
    req = requirement.from_direct_url(
        direct_url(url="file:///home/me/mlops-toolkit", vcs_info={"vcs": "git", "commit_id": SHA})
    )
    # With a host, so that pip < 23.3 (a fresh venv's) accepts it too.
    assert req.spec == f"mlops-toolkit @ git+file://localhost/home/me/mlops-toolkit@{SHA}"
    assert req.warning and "--toolkit-requirement" in req.warning and "this machine" in req.warning


def test_archive_url_install_keeps_its_hash() -> None:
    req = requirement.from_direct_url(
        direct_url(
            url="https://files.example.com/mlops_toolkit-1.0-py3-none-any.whl",
            archive_info={"hashes": {"sha256": "ab" * 32}},
        )
    )
    assert req.spec == (
        "mlops-toolkit @ https://files.example.com/mlops_toolkit-1.0-py3-none-any.whl#sha256=" + "ab" * 32
    )
    assert req.warning is None


@pytest.mark.parametrize(
    ("data", "what"),
    [
        ({"url": "file:///src/mlops-toolkit", "dir_info": {"editable": True}}, "an editable install"),
        ({"url": "file:///src/mlops-toolkit", "dir_info": {}}, "a local path"),
        ({"url": "file:///tmp/mlops_toolkit-0.1.0.whl", "archive_info": {}}, "a local path"),
    ],
)
def test_local_installs_fall_back_to_the_version_with_a_warning(data: dict[str, object], what: str) -> None:
    req = requirement.from_direct_url(json.dumps(data), "0.1.0")
    assert (req.spec, req.source) == ("mlops-toolkit==0.1.0", "local")
    assert req.warning and what in req.warning and "--toolkit-requirement" in req.warning


def test_an_unreadable_install_record_is_a_warning_not_a_crash() -> None:
    req = requirement.from_direct_url("{not json", "0.1.0")
    assert req.spec == "mlops-toolkit==0.1.0" and req.warning and "unreadable" in req.warning


def test_this_editable_checkout_is_what_current_reports() -> None:
    from importlib import metadata

    dist = metadata.distribution(requirement.DISTRIBUTION)
    record = json.loads(dist.read_text("direct_url.json") or "{}")
    assert record.get("dir_info", {}).get("editable"), "the tests run from an editable install"
    req = requirement.current()
    folder = Path(record["url"].removeprefix("file://"))
    # Whatever this checkout's origin is (none here; GitHub's in CI): the checkout decides.
    assert req == (requirement.from_checkout(folder, __version__) or requirement.from_direct_url(
        json.dumps(record), __version__
    ))
    assert req.source in ("checkout", "local") and (req.source == "checkout" or req.warning)


ORIGIN = "https://github.com/org/mlops-toolkit.git"


def _checkout(tmp_path: Path, origin: str | None = ORIGIN, *, pushed: bool = True) -> tuple[Path, str]:
    """A clone of a repo (its origin then pointed at `origin`), with HEAD on origin's main when
    pushed; returns (the clone, HEAD). Only refs are read: no network."""
    upstream = tmp_path / "upstream"
    write_files(upstream, {"pyproject.toml": "[project]\nname = 'mlops-toolkit'\n", "pkg/x.py": "X = 1\n"})
    git(upstream, "init", "-q", "-b", "main")
    commit_all(upstream, "toolkit")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    if origin is None:
        git(clone, "remote", "remove", "origin")
    else:
        git(clone, "remote", "set-url", "origin", origin)
    if not pushed:
        (clone / "pkg" / "y.py").write_text("Y = 2\n")
        commit_all(clone, "local only")
    return clone, git(clone, "rev-parse", "HEAD")


def _editable(folder: Path) -> str:
    return direct_url(url=folder.as_uri(), dir_info={"editable": True})


@pytest.mark.parametrize("editable", [True, False])
def test_a_checkout_with_a_reachable_origin_pins_its_commit(tmp_path: Path, editable: bool) -> None:
    clone, head = _checkout(tmp_path)
    record = direct_url(url=clone.as_uri(), dir_info={"editable": editable})
    req = requirement.from_direct_url(record, "0.1.0")
    assert req.spec == f"mlops-toolkit @ git+{ORIGIN}@{head}"
    assert (req.source, req.warning, req.installable) == ("checkout", None, True)


def test_a_commit_on_no_branch_of_origin_is_warned_about(tmp_path: Path) -> None:
    clone, head = _checkout(tmp_path, pushed=False)
    req = requirement.from_direct_url(_editable(clone), "0.1.0")
    assert req.spec == f"mlops-toolkit @ git+{ORIGIN}@{head}"
    assert req.warning and f"commit {head[:12]} is on none of origin's branches" in req.warning
    assert "push it" in req.warning and not req.installable
    # Pushed (as far as the local refs know): no warning.
    git(clone, "update-ref", "refs/remotes/origin/feature", head)
    assert requirement.from_direct_url(_editable(clone), "0.1.0").warning is None


def test_a_dirty_checkout_is_warned_about(tmp_path: Path) -> None:
    clone, head = _checkout(tmp_path)
    (clone / "pkg" / "x.py").write_text("X = 'changed'\n")
    req = requirement.from_direct_url(_editable(clone), "0.1.0")
    assert req.spec.endswith(f"@{head}") and req.installable
    assert req.warning and "uncommitted changes" in req.warning
    git(clone, "checkout", "--", "pkg/x.py")
    (clone / "notes.txt").write_text("untracked files are not in any commit anyway\n")
    assert requirement.from_direct_url(_editable(clone), "0.1.0").warning is None


def test_a_package_in_a_subfolder_of_the_checkout(tmp_path: Path) -> None:
    clone, head = _checkout(tmp_path)
    req = requirement.from_direct_url(_editable(clone / "pkg"), "0.1.0")
    assert req.spec == f"mlops-toolkit @ git+{ORIGIN}@{head}#subdirectory=pkg"


@pytest.mark.parametrize(
    ("origin", "written"),
    [
        (ORIGIN, f"git+{ORIGIN}"),
        ("git@github.com:org/mlops-toolkit.git", "git+ssh://git@github.com/org/mlops-toolkit.git"),
        ("ssh://git@gitlab.example.com:2222/g/t.git", "git+ssh://git@gitlab.example.com:2222/g/t.git"),
        ("git+ssh://git@github.com/org/t.git", "git+ssh://git@github.com/org/t.git"),
        ("git://example.org/t.git", "git+git://example.org/t.git"),
        # A token in the URL is never written into a committed file.
        ("https://x-access-token:ghp_SECRET@github.com/org/t.git", "git+https://github.com/org/t.git"),
        ("ssh://git:hunter2@host.example/t.git", "git+ssh://git@host.example/t.git"),
    ],
)
def test_reachable_origins(tmp_path: Path, origin: str, written: str) -> None:
    clone, head = _checkout(tmp_path, origin)
    req = requirement.from_direct_url(_editable(clone), "0.1.0")
    assert req.spec == f"mlops-toolkit @ {written}@{head}"
    assert "SECRET" not in (req.warning or "") and "hunter2" not in (req.warning or "")


@pytest.mark.parametrize(
    "origin",
    [None, "/srv/git/mlops-toolkit.git", "../mlops-toolkit", "file:///srv/git/t.git",
     "http://github.com/org/t.git", "https://localhost/t.git", "ssh://127.0.0.1/t.git",
     "localhost:t.git"],
)
def test_unreachable_origins_fall_back_to_the_pin(tmp_path: Path, origin: str | None) -> None:
    clone, _ = _checkout(tmp_path, origin)
    req = requirement.from_direct_url(_editable(clone), "0.1.0")
    assert (req.spec, req.source, req.installable) == ("mlops-toolkit==0.1.0", "local", False)
    assert req.warning and "--toolkit-requirement" in req.warning


def test_a_folder_that_is_not_a_checkout_falls_back_to_the_pin(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    req = requirement.from_direct_url(_editable(tmp_path / "src"), "0.1.0")
    assert (req.spec, req.source) == ("mlops-toolkit==0.1.0", "local")


def test_a_git_file_install_of_a_checkout_uses_its_origin(tmp_path: Path) -> None:
    clone, head = _checkout(tmp_path)
    record = direct_url(url=clone.as_uri(), vcs_info={"vcs": "git", "commit_id": head})
    req = requirement.from_direct_url(record, "0.1.0")
    assert req.spec == f"mlops-toolkit @ git+{ORIGIN}@{head}" and req.warning is None


@pytest.mark.parametrize(
    "spec",
    [
        "mlops-toolkit==1.2.0",
        "mlops_toolkit>=1.0",
        f"MLOps.Toolkit @ git+https://github.com/acme/mlops-toolkit@{SHA}",
    ],
)
def test_given_requirements_are_kept(spec: str) -> None:
    assert requirement.resolve(spec).spec == spec


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("requests==2.0", "names 'requests'"),
        ("mlops-toolkit==1.0\nevil-package", "one line"),
        ("mlops-toolkit ===", "is not a pip requirement"),
        ("   ", "one line"),
    ],
)
def test_bad_requirements_are_refused(spec: str, says: str) -> None:
    with pytest.raises(ToolkitError, match=says):
        requirement.validate(spec)


def test_toolkit_new_writes_the_given_requirement(tmp_path: Path) -> None:
    spec = f"mlops-toolkit @ git+https://github.com/acme/mlops-toolkit@{SHA}"
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "new", "p", "--no-git", "--toolkit-requirement", spec],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert spec in (tmp_path / "p" / "requirements.txt").read_text().splitlines()
    assert spec in (tmp_path / "p" / "README.md").read_text()
    assert "cannot install" not in proc.stderr


def test_toolkit_new_refuses_a_bad_requirement_before_writing(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "new", "p", "--no-git", "--toolkit-requirement", "numpy"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: --toolkit-requirement 'numpy' names 'numpy'")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "p").exists()


def _pip_install_target(spec: str, target: Path) -> None:
    # No build isolation: hatchling comes from the test extra, so this needs no network.
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), spec],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_git_install_writes_its_url_and_commit_and_that_line_installs(tmp_path: Path) -> None:
    """pip install git+file://CLONE@HEAD, toolkit new, then pip install of the line it wrote."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(REPO_ROOT), str(clone))
    head = git(clone, "rev-parse", "HEAD")
    first = tmp_path / "first"
    _pip_install_target(f"git+file://{clone}@{head}", first)
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(first)}
    made = subprocess.run(
        [sys.executable, "-m", "toolkit", "new", "p", "--no-git"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )
    assert made.returncode == 0, made.stderr
    line = f"mlops-toolkit @ git+file://localhost{clone}@{head}"
    requirements = (elsewhere / "p" / "requirements.txt").read_text().splitlines()
    assert line in requirements
    assert "this machine" in made.stderr  # file:// is only reachable here: said so

    second = tmp_path / "second"
    _pip_install_target(line, second)
    version = subprocess.run(
        [sys.executable, "-m", "toolkit", "--version"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(second)}, capture_output=True, text=True,
    )
    assert version.returncode == 0 and version.stdout.strip() == f"toolkit, version {__version__}"
    installed = json.loads(
        next(second.glob("mlops_toolkit-*.dist-info")).joinpath("direct_url.json").read_text()
    )
    assert installed["vcs_info"]["commit_id"] == head


def test_the_package_version_is_the_one_pyproject_releases() -> None:
    import tomllib

    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        assert tomllib.load(f)["project"]["version"] == __version__

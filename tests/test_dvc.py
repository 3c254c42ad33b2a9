"""toolkit.dvc and `toolkit repro` against real DVC repositories (no mocks of dvc)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.gitrepo import commit_all, git
from tests.scaffold_helpers import dvc, tiny_dvc_repo
from toolkit import dvc as tdvc
from toolkit import dvclog
from toolkit.cli import cli
from toolkit.commands.repro import find_pipeline_root
from toolkit.errors import DvcError


def _env() -> dict[str, str]:
    return dict(os.environ)


def test_has_remote_reads_repo_and_local_config(tmp_path: Path) -> None:
    assert not tdvc.has_remote(tmp_path)
    (tmp_path / ".dvc").mkdir()
    config = tmp_path / ".dvc" / "config"
    config.write_text("[core]\n    autostage = true\n")
    assert not tdvc.has_remote(tmp_path)
    # A default naming a remote that is not defined anywhere is no remote.
    config.write_text("[core]\n    remote = gone\n")
    assert not tdvc.has_remote(tmp_path)
    (tmp_path / ".dvc" / "config.local").write_text(
        "['remote \"gone\"']\n    url = s3://bucket/path\n"
    )
    assert tdvc.has_remote(tmp_path)
    remote = tdvc.default_remote(tmp_path)
    assert remote is not None and remote.name == "gone" and remote.local_path is None


def test_default_remote_local_path_is_relative_to_the_config(tmp_path: Path) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo", remote=tmp_path / "storage")
    remote = tdvc.default_remote(repo)
    assert remote is not None
    assert remote.name == "store"
    assert remote.url == "../../storage"  # as dvc wrote it
    assert remote.local_path == (tmp_path / "storage").resolve()


def test_repro_runs_then_skips(tmp_path: Path) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    first = tdvc.repro(repo, environ=_env())
    assert first.ran == ("a", "b")
    assert first.skipped == ()
    assert (repo / "b.txt").read_text() == "12"
    assert "Running stage 'a'" in first.log
    second = tdvc.repro(repo, environ=_env())
    assert second.ran == ()
    assert second.skipped == ("a", "b")
    # Only the downstream stage re-runs when only its params change.
    (repo / "params.yaml").write_text("a: 1\nb: 3\n")
    third = tdvc.repro(repo, environ=_env())
    assert third.ran == ("b",)
    assert third.skipped == ("a",)


def test_repro_folds_its_log_in_github_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    tdvc.repro(repo, environ={**_env(), "GITHUB_ACTIONS": "true"})
    out = capsys.readouterr().out
    assert out.startswith("::group::dvc repro\n")
    assert out.rstrip().endswith("::endgroup::")


def test_pull_and_push_without_remote_say_so_and_reproduce(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    result = tdvc.repro(repo, pull=True, push=True, environ=_env())
    assert result.ran == ("a", "b")
    err = capsys.readouterr().err
    assert "Skipping the DVC pull and push: no default DVC remote is configured" in err
    assert "reproducing from the local cache, nothing is pushed." in err
    tdvc.repro(repo, push=True, environ=_env())
    err = capsys.readouterr().err
    # `repro --push` says push, not pull.
    assert "Skipping the DVC push:" in err and "the outputs stay in the local cache." in err
    assert "pull" not in err and "reproducing from" not in err


def test_push_then_pull_in_a_fresh_clone_runs_nothing(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    repo = tiny_dvc_repo(tmp_path / "repo", remote=storage)
    pushed = tdvc.repro(repo, push=True, environ=_env())
    assert pushed.ran == ("a", "b")
    assert any(storage.rglob("*")), "dvc push wrote nothing to the local remote"
    commit_all(repo, "results")

    # A clone beside the original: the remote's relative path resolves to the same folder.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    assert not (clone / "a.txt").exists()
    result = tdvc.repro(clone, pull=True, environ=_env())
    assert result.ran == ()
    assert set(result.skipped) == {"a", "b"}
    # Nothing ran, and every output is in the workspace all the same: the steps after a pull
    # (monitoring, the report) read them.
    assert (clone / "a.txt").read_text() == "1"
    assert (clone / "b.txt").read_text() == "12"


def test_missing_outputs_on_the_remote_are_reproduced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = tmp_path / "storage"
    repo = tiny_dvc_repo(tmp_path / "repo", remote=storage)
    tdvc.repro(repo, environ=_env())  # never pushed: the remote stays empty
    commit_all(repo, "results")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    # Stage b must run and needs a.txt, which is in no cache and not on the remote: a runs too.
    (clone / "params.yaml").write_text("a: 1\nb: 5\n")
    result = tdvc.repro(clone, pull=True, environ=_env())
    assert (clone / "b.txt").read_text() == "15"
    assert (clone / "a.txt").read_text() == "1"
    assert result.ran == ("a", "b")
    err = capsys.readouterr().err
    assert "the outputs of a were not on the DVC remote (was `dvc push` run?)" in err
    assert "outputs of a, b" not in err  # b changed: it runs whatever the remote holds


def test_unreachable_local_remote_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = tmp_path / "storage"
    repo = tiny_dvc_repo(tmp_path / "repo", remote=storage)
    shutil.rmtree(storage)  # as on a CI runner, where the scaffold's sibling folder does not exist
    result = tdvc.repro(repo, pull=True, push=True, environ=_env())
    assert result.ran == ("a", "b")
    assert not storage.exists(), "push must not create the missing local remote"
    assert "does not exist on this machine" in capsys.readouterr().err


def test_failing_stage_names_the_stage_and_its_output(tmp_path: Path) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    (repo / "dvc.yaml").write_text(
        "stages:\n  broken:\n    cmd: python -c \"raise SystemExit('model exploded')\"\n"
        "    outs: [x.txt]\n"
    )
    with pytest.raises(DvcError) as err:
        tdvc.repro(repo, environ=_env())
    message = err.value.message
    assert "stage 'broken'" in message
    assert "model exploded" in message
    assert "dvc.yaml" in message


def test_not_a_dvc_repository(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    git(tmp_path, "init", "-q")
    with pytest.raises(DvcError, match="dvc init"):
        tdvc.repro(tmp_path, environ=_env())


def test_dag_markdown(tmp_path: Path) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    dag = tdvc.dag_markdown(repo)
    assert dag is not None
    assert dag.startswith("```mermaid")
    assert "-->" in dag
    assert tdvc.dag_markdown(tmp_path) is None  # not a DVC repo


def test_repro_command_finds_the_root_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    sub = repo / "deep" / "er"
    sub.mkdir(parents=True)
    assert find_pipeline_root(sub) == repo.resolve()
    monkeypatch.chdir(sub)
    result = CliRunner().invoke(cli, ["repro"])
    assert result.exit_code == 0, result.output
    assert "ran: a, b" in result.stdout
    assert dvc(repo, "status").strip() == "Data and pipelines are up to date."


def test_repro_command_without_dvc_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["repro"])
    assert result.exit_code == 1
    assert "no dvc.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_dvc_module_does_not_import_dvc_or_sklearn() -> None:
    import subprocess
    import sys

    code = (
        "import sys, toolkit.dvc, toolkit.commands.repro; "
        "bad = [m for m in ('dvc', 'sklearn', 'requests', 'jinja2') if m in sys.modules]; "
        "print(bad); sys.exit(bool(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stage_names_are_parsed_from_dvc_log_lines() -> None:
    log = "\n".join(
        [
            "$ dvc repro --pull",
            "Pulling data for stage: 'prepare'",  # pulled: restored, not run
            "Pulling data for stage: 'train'",
            "Unable to pull data for stage: 'train'",
            "Running stage 'train':",
            "Stage 'evaluate' is cached - skipping run, checking out outputs",
            "Stage 'sub/dvc.yaml:report' didn't change, skipping",
        ]
    )
    assert dvclog.parse(log) == (
        ("train",), ("prepare", "evaluate", "sub/dvc.yaml:report"), ("evaluate",)
    )


# -- the DVC root and the one config reader (issue 10) -----------------------------------------


def test_cache_dir_follows_every_config_level_as_dvc_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """system < global < repo < local, relative paths from the file that sets them: `dvc cache dir`."""
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "system"))
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "global"))
    git(tmp_path, "init", "-q")
    repo = tmp_path / "sub"
    repo.mkdir()
    dvc(repo, "init", "-q", "--subdir")
    env = dict(os.environ)

    def theirs() -> Path:
        return Path(dvc(repo, "cache", "dir", env=env).strip()).resolve()

    assert tdvc.cache_dir(repo).resolve() == theirs() == (repo / ".dvc" / "cache").resolve()
    seen = set()
    for level, value in (("--system", "sys-cache"), ("--global", "../glob-cache"),
                         ("--project", "../../repo-cache"), ("--local", "local-cache")):
        dvc(repo, "config", level, "cache.dir", value, env=env)
        ours = tdvc.cache_dir(repo).resolve()
        assert ours == theirs(), level
        seen.add(ours)
    assert len(seen) == 4  # each level overrode the one before
    # `dvc config` wrote the path relative to .dvc/ (it was given relative to the cwd).
    assert tdvc.cache_dir(repo).resolve() == (repo / "local-cache").resolve()


def test_find_root_is_the_nearest_dvc_folder(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a" / ".dvc").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    assert tdvc.find_root(tmp_path / "a" / "b" / "c") == (tmp_path / "a").resolve()
    with pytest.raises(DvcError, match=r"DVC project of this git repo is in a; .*`cd a`"):
        tdvc.find_root(tmp_path)
    # A git root with a dvc.yaml never `dvc init`ed: what the toolkit reads is all there.
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    assert tdvc.find_root(tmp_path) == tmp_path.resolve()
    assert tdvc.settings_root(tmp_path / "a" / "b") == (tmp_path / "a").resolve()


@pytest.mark.parametrize(
    ("path", "text", "all_pipelines"),
    [
        ("dvc.yaml", "stages:\n  a:\n    cmd: [unclosed\n", False),
        ("dvc.lock", "schema: '2.0'\nstages: {a: [\n", False),
        ("sub/dvc.yaml", "stages:\n  c: {cmd: echo, outs: [\n", True),
    ],
)
def test_unparsable_pipeline_file_is_refused_before_dvc_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, text: str, all_pipelines: bool
) -> None:
    """The project's own parser reads every dvc.yaml and dvc.lock dvc would read, first."""
    repo = tiny_dvc_repo(tmp_path / "repo")
    (repo / path).parent.mkdir(exist_ok=True)
    (repo / path).write_text(text)
    with pytest.raises(DvcError) as err:
        tdvc.repro(repo, environ=_env(), all_pipelines=all_pipelines)
    message = err.value.message
    assert message.startswith(f"{path} at {repo} is not valid YAML (")
    assert " line " in message and message.endswith("then rerun `toolkit repro`.")
    assert "$ dvc repro" not in capsys.readouterr().err  # dvc never started


def test_invalid_dvc_yaml_gets_dvcs_own_words(tmp_path: Path) -> None:
    """Valid YAML that DVC's schema refuses: DVC's words, without its quoted source lines."""
    repo = tiny_dvc_repo(tmp_path / "repo")
    (repo / "dvc.yaml").write_text("stages:\n  a:\n    cmd: echo hi\n    bogus: 1\n")
    with pytest.raises(DvcError) as err:
        tdvc.repro(repo, environ=_env())
    message = err.value.message
    assert "'./dvc.yaml' validation failed" in message
    assert "extra keys not allowed, in stages -> a -> bogus" in message
    assert "│" not in message and "bogus: 1" not in message


@pytest.mark.parametrize(
    ("cmd", "printed"),
    [
        # A stage running a module that is not installed: Python's words name a "dvc..." module.
        ("python -m dvc_no_such_plugin", "No module named dvc_no_such_plugin"),
        # A stage that runs dvc on another folder.
        ("cd ../elsewhere && python -m dvc status", "not inside of a DVC repository"),
        # A stage validating its data, in words that end like DVC's own for a broken dvc.yaml.
        ("python -c \"print('data/schema.json is invalid.'); raise SystemExit(1)\"",
         "data/schema.json is invalid."),
    ],
)
def test_a_failing_stage_is_never_taken_for_dvc_itself(tmp_path: Path, cmd: str, printed: str) -> None:
    """Whatever a stage prints, its failure names the stage (not "dvc is not installed", ...)."""
    repo = tiny_dvc_repo(tmp_path / "repo")
    (tmp_path / "elsewhere").mkdir()
    (repo / "dvc.yaml").write_text(f"stages:\n  check:\n    cmd: {cmd}\n")
    with pytest.raises(DvcError) as err:
        tdvc.repro(repo, environ=_env())
    message = err.value.message
    assert message.startswith(f"dvc repro failed in stage 'check' of {repo / 'dvc.yaml'}: ")
    assert printed in message  # as the stage's last output
    assert "not installed" not in message and "dvc init" not in message


def test_repro_without_dvc_installed_says_how_to_install(tmp_path: Path) -> None:
    """An interpreter that cannot import dvc (an import hook hides it): exit 1 with the fix."""
    import subprocess
    import sys
    import textwrap

    repo = tiny_dvc_repo(tmp_path / "repo")
    code = textwrap.dedent(
        """
        import sys

        class NoDvc:
            def find_spec(self, name, path=None, target=None):
                if name == "dvc" or name.startswith("dvc."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, NoDvc())
        sys.argv = ["toolkit", "repro"]
        from toolkit.cli import main
        main()
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"dvc is not installed for {sys.executable}; install it with" in done.stderr
    assert "$ dvc repro" not in done.stderr and not (repo / "a.txt").exists()


def test_laptop_advice_stays_out_of_ci_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tiny_dvc_repo(tmp_path / "repo")
    tdvc.repro(repo, environ=_env(), advice=False)
    quiet = capsys.readouterr().err
    assert "Running stage" in quiet
    assert "git add" not in quiet and "autostage" not in quiet and "dvc push" not in quiet
    (repo / "params.yaml").write_text("a: 5\nb: 2\n")
    tdvc.repro(repo, environ=_env())  # `toolkit repro` on a laptop keeps dvc's advice
    assert "git add" in capsys.readouterr().err

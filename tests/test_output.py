"""The output helper: results on stdout, info on stderr, folding only in GitHub Actions."""

from __future__ import annotations

import pytest

from toolkit import output


@pytest.fixture(autouse=True)
def _loud() -> None:
    output.set_quiet(False)


def test_info_goes_to_stderr_and_quiet_hides_it(capsys: pytest.CaptureFixture[str]) -> None:
    output.info("hello")
    output.set_quiet(True)
    output.info("hidden")
    output.write_line("result")
    output.set_quiet(False)
    out, err = capsys.readouterr()
    assert out == "result\n"
    assert err == "hello\n"


def test_group_folds_in_actions_and_keeps_lines_inside(capsys: pytest.CaptureFixture[str]) -> None:
    with output.group("dvc repro", {"GITHUB_ACTIONS": "true"}):
        output.info("Running stage 'train'")
    output.info("after")
    out, err = capsys.readouterr()
    assert out == "::group::dvc repro\nRunning stage 'train'\n::endgroup::\n"
    assert err == "after\n"


def test_group_outside_actions_is_a_heading(capsys: pytest.CaptureFixture[str]) -> None:
    with output.group("dvc repro", {"CI": "true"}):  # CI alone is not GitHub Actions
        output.info("line")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "== dvc repro\nline\n"


def test_group_closes_on_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), output.group("x", {"GITHUB_ACTIONS": "true"}):
        raise RuntimeError("boom")
    output.info("after")
    out, err = capsys.readouterr()
    assert out == "::group::x\n::endgroup::\n"
    assert err == "after\n"

"""The GTO tag format: our parser against gto's own on the same names; versions and bumps."""

from __future__ import annotations

import pytest

from toolkit.errors import RegistryError
from toolkit.registry import tags

NAMES = [
    "churn@v1.2.0",
    "churn@v1.2.0!#4",
    "churn@v1.0.0-rc.1+build.5",
    "churn#prod#3",
    "churn#prod!#5",
    "churn#prod",
    "churn@deprecated#9",
    "churn@deprecated",
    "a/b_c-d@v0.0.1",
    "sub/dir=model@v2.0.0",
    "sub/dir=model#stage/x#1",
    "churn@1.0.0",
    "churn@v1.0",
    "churn#",
    "-churn@v1.0.0",
    "churn-@v1.0.0",
    "churn#prod#x",
    "v1.0.0",
    "churn@v01.0.0",
    "a=b=c@v1.0.0",
]


def _gto(name: str) -> dict[str, object]:
    from gto.tag import parse_name  # the reference, test-only

    parsed = parse_name(name, raise_on_fail=False)
    return {k: (v.value if hasattr(v, "value") else v) for k, v in parsed.items()}


def _ours(name: str) -> dict[str, object]:
    parsed = tags.parse(name)
    if parsed is None:
        return {}
    out: dict[str, object] = {"name": parsed.artifact, "action": parsed.action}
    for key in ("version", "stage", "counter"):
        value = getattr(parsed, key)
        if value is not None:
            out[key] = value
    return out


@pytest.mark.parametrize("name", NAMES)
def test_parse_agrees_with_gto(name: str) -> None:
    assert _ours(name) == _gto(name)


def test_format_round_trips() -> None:
    assert tags.register_tag("sub/dir:model", "v1.0.0") == "sub/dir=model@v1.0.0"
    assert tags.assign_tag("churn", "prod", 7) == "churn#prod#7"
    assert tags.assign_tag("churn", "prod", 8, cancel=True) == "churn#prod!#8"
    assert tags.parse("sub/dir=model@v1.0.0") == tags.TagName("sub/dir:model", "register", version="v1.0.0")


def test_specs() -> None:
    assert tags.parse_spec("churn#prod") == tags.Spec("churn", stage="prod")
    assert tags.parse_spec("sub/dir:m@latest") == tags.Spec("sub/dir:m", version="latest")
    assert tags.parse_spec("churn@v1.0.0") == tags.Spec("churn", version="v1.0.0")
    for not_a_spec in ("main", "HEAD~1", "HEAD@{1}", "churn@1.0.0", "churn#prod#1", "origin/main"):
        assert tags.parse_spec(not_a_spec) is None, not_a_spec


def test_semver_order_matches_the_spec() -> None:
    # semver.org, section 11.
    ordered = [
        "v1.0.0-alpha",
        "v1.0.0-alpha.1",
        "v1.0.0-alpha.beta",
        "v1.0.0-beta",
        "v1.0.0-beta.2",
        "v1.0.0-beta.11",
        "v1.0.0-rc.1",
        "v1.0.0",
        "v1.0.1",
        "v1.10.0",
        "v2.0.0",
    ]
    assert sorted(reversed(ordered), key=tags.semver_key) == ordered


def test_bump_and_checks() -> None:
    assert tags.bump(None, "patch") == "v0.0.1"
    assert tags.bump("v1.2.3-rc.1", "patch") == "v1.2.4"
    assert tags.bump("v1.2.3", "minor") == "v1.3.0"
    assert tags.bump("v1.2.3", "major") == "v2.0.0"
    with pytest.raises(RegistryError, match=r"did you mean v1\.2\.3"):
        tags.check_version("1.2.3")
    with pytest.raises(RegistryError, match="not a valid stage name"):
        tags.check_stage("prod!")
    tags.check_name("sub/dir:model")
    with pytest.raises(RegistryError, match="not a valid artifact name"):
        tags.check_name("sub/dir:")

"""Delivery of a stage tag: a GitHub release NAME@VERSION (model, sha256, card) and a deployment.

Run by the generated deploy.yml after `dvc pull` and the smoke test, with a token that may write
contents and deployments. Re-running it is safe: an existing release is reused and assets already
there are kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from toolkit import actions, git
from toolkit.errors import GitHubError, RegistryError
from toolkit.registry import artifacts, tags
from toolkit.registry.card import lineage

#: GitHub allows release bodies of 125,000 characters; stay well inside.
RELEASE_BODY_LIMIT = 100_000
PERMISSIONS = "permissions:\n  contents: write\n  deployments: write"


def _asset_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def deliver(root: Path, ref: str, environ: Mapping[str, str], *, card: Callable[[str], str]) -> str:
    """Publish the stage tag `ref`; return a one-line summary."""
    from toolkit.registry.operations import find_tag

    _, art, event, parsed = find_tag(root, ref, environ)
    if parsed.action != "assign" or parsed.stage is None:
        raise RegistryError(f"`{ref}` is not a stage assignment (NAME#STAGE#N); only those are delivered.")
    version = art.version_of(event)
    if version is None or not version.registered:
        raise RegistryError(
            f"`{event.tag}` assigns stage {parsed.stage} to commit {event.commit[:7]}, which has no "
            f"registered version of {parsed.artifact}; run `toolkit model register {parsed.artifact}`."
        )
    with git.ObjectReader(root) as reader:
        declared = artifacts.require(
            artifacts.at_commit(root, event.commit, reader), parsed.artifact, event.commit[:7]
        )
        recorded = lineage(root, event.commit, declared, reader).md5
    model = root / declared.path
    if not model.is_file():
        raise RegistryError(
            f"{declared.path} is not in the workspace; fetch it first with `dvc pull {declared.path}`."
        )
    if recorded and len(recorded) == 32 and _digest(model, "md5") != recorded:
        raise RegistryError(
            f"{declared.path} is not the file dvc.lock records at {event.commit[:7]} (md5 {recorded}); "
            f"check out that commit and run `dvc pull {declared.path}`."
        )

    ctx = actions.context_from_env(environ, require_supported=False)
    if not ctx.repository or not ctx.token:
        raise GitHubError(
            "GITHUB_REPOSITORY and GITHUB_TOKEN must be set; give the step "
            "`env: GITHUB_TOKEN: ${{ github.token }}` and the job:\n" + PERMISSIONS
        )
    if ctx.in_actions:
        actions.mask(ctx.token)
    release_tag = tags.register_tag(parsed.artifact, version.version)
    base = _asset_name(model.name)
    sha256 = _digest(model, "sha256")
    body = card(f"{parsed.artifact}@{version.version}")
    assets = [
        (model.name, model.read_bytes(), "application/octet-stream"),
        (f"{base}.sha256", f"{sha256}  {model.name}\n".encode(), "text/plain"),
        (f"{_asset_name(parsed.artifact)}-{version.version}-model-card.md", body.encode(), "text/markdown"),
    ]
    if len(body) > RELEASE_BODY_LIMIT:
        from toolkit.report import truncate

        body = truncate(body, RELEASE_BODY_LIMIT)

    from toolkit.github import Client, ForbiddenError

    repo = ctx.repository
    with Client(ctx.api_url, ctx.token) as client:
        try:
            deployment = client.create_deployment(
                repo, event.commit, parsed.stage, description=f"{parsed.artifact} {version.version}"
            )
            client.create_deployment_status(repo, deployment["id"], "in_progress", log_url=ctx.run_url)
            try:
                release = client.get_release_by_tag(repo, release_tag) or client.create_release(
                    repo,
                    release_tag,
                    name=f"{parsed.artifact} {version.version}",
                    body=body,
                    target=event.commit,
                )
                have = {a.get("name") for a in client.list_release_assets(repo, release["id"])}
                for name, data, kind in assets:
                    if name not in have:
                        client.upload_release_asset(str(release["upload_url"]), name, data, kind)
            except GitHubError:
                client.create_deployment_status(
                    repo, deployment["id"], "failure", description="release failed", log_url=ctx.run_url
                )
                raise
            client.create_deployment_status(
                repo,
                deployment["id"],
                "success",
                description=f"{parsed.artifact} {version.version} released",
                environment_url=release.get("html_url"),
                log_url=ctx.run_url,
            )
        except ForbiddenError as exc:
            raise GitHubError(f"{exc.message.splitlines()[0]} The deploy job needs:\n{PERMISSIONS}") from None
    return (
        f"Released {release_tag} ({release.get('html_url')}) with {model.name} (sha256 {sha256}); "
        f"deployment {deployment['id']} to {parsed.stage}: success"
    )

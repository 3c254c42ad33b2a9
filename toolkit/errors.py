"""The toolkit's error hierarchy: anything a user can cause is a ToolkitError (exit 1, no traceback)."""

from __future__ import annotations

import click


class ToolkitError(click.ClickException):
    """An error the user can fix; click prints `Error: <message>` on stderr and exits 1."""

    exit_code = 1

    def format_message(self) -> str:
        """The message with control characters and would-be workflow commands made inert."""
        from toolkit.inert import terminal

        return terminal(self.message)


class ConfigError(ToolkitError):
    """A malformed or inconsistent toolkit.yaml (or other setting)."""


class GitError(ToolkitError):
    """git is missing or a git command failed."""


class RevisionError(GitError):
    """A revision that cannot be resolved or fetched."""


class MetricsFileError(ToolkitError):
    """A metrics, params or plots file that cannot be parsed."""


class TooLargeError(MetricsFileError):
    """A file over the size the toolkit reads (metrics, params, plots, dvc.yaml)."""

    def __init__(self, message: str, size: int = 0) -> None:
        super().__init__(message)
        self.size = size


class UnsafePathError(MetricsFileError):
    """A declared path that leads outside the DVC root (absolute, `..`, a symlink) or is no file."""


class DvcError(ToolkitError):
    """dvc is missing, a dvc.yaml/dvc.lock is malformed, or a dvc command failed."""


class NotDvcRepoError(DvcError):
    """The folder is in a git repository but in no DVC project (no `.dvc/`, no dvc.yaml)."""


class ScaffoldError(ToolkitError):
    """`toolkit new` cannot create the project."""


class GateError(ToolkitError):
    """A gate that cannot be evaluated (unknown or ambiguous metric, bad rule)."""


class GitHubError(ToolkitError):
    """The GitHub API refused or failed a request."""


class RegistryError(ToolkitError):
    """A model-registry request that cannot be done (unknown artifact, reused version, dirty tree)."""

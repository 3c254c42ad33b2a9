"""Reading files a pull request controls: inside the repository, regular files, bounded in size.

Paths come from dvc.yaml/dvc.lock at some revision. Absolute paths, `..` and symlinks leading
out of the repository are errors naming the path (never read), so are FIFOs and devices, and
files over MAX_FILE_BYTES are refused before they are read.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from toolkit.errors import TooLargeError, UnsafePathError

#: The largest metrics, params, plots or dvc.yaml file read (the toolkit holds it in memory).
MAX_FILE_BYTES = 32 * 1024 * 1024
#: What DVC writes as a hash in dvc.lock / .dvc files: md5, `.dir` for folders.
MD5 = re.compile(r"[0-9a-f]{32}(?:\.dir)?")


def check_relative(path: str, where: str) -> None:
    """A declared path must stay in the repository: no absolute path, no `..` out of it."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts:
        raise UnsafePathError(
            f"{path} at {where} points outside the repository; declare paths inside it in dvc.yaml."
        )


def too_large(path: str, where: str, size: int, limit: int = MAX_FILE_BYTES) -> TooLargeError:
    """The error for a file over the size limit."""
    return TooLargeError(
        f"{path} at {where} is {size:,} bytes, more than the {limit // (1024 * 1024)} MiB the "
        "toolkit reads; keep metrics, params and plots files small (or out of dvc.yaml).",
        size,
    )


def read_inside(root: Path, path: str, where: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of `root/path`, None when absent; outside root, not regular or too big: error."""
    check_relative(path, where)
    full = os.path.join(root, path)
    real = os.path.realpath(full)
    top = os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        if not os.path.lexists(full):
            return None
        raise UnsafePathError(
            f"{path} at {where} is a symlink leading outside the repository (to {real}); "
            "replace it with the file itself."
        )
    return read_regular(real, path, where, limit)


def read_regular(real: str | Path, path: str, where: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """At most `limit` bytes of a regular file (never a FIFO or device), None when absent."""
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        return None
    except OSError as exc:
        raise UnsafePathError(
            f"cannot read {path} at {where}: {exc.strerror or exc}; check the file and its permissions."
        ) from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):  # a folder opens read-only; Python refuses a file object on it
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(
                f"{path} at {where} is not a regular file (a device, FIFO or socket); "
                "declare a file in dvc.yaml."
            )
        if info.st_size > limit:
            raise too_large(path, where, info.st_size, limit)
        data = fh.read(limit + 1)
        if len(data) > limit:
            raise too_large(path, where, len(data), limit)
        return data


#: Settings files (toolkit.yaml, DVC's config files) are small.
MAX_SETTINGS_BYTES = 1024 * 1024


def read_settings(path: Path) -> str | None:
    """A small settings file as text, None when absent, unreadable, not a regular file or too big.

    For DVC's config files, which DVC itself reports on: never a read that can exhaust memory or
    block (a symlink to /dev/zero or a FIFO is simply not a config).
    """
    try:
        data = read_regular(os.path.realpath(path), str(path), "the workspace", MAX_SETTINGS_BYTES)
        return None if data is None else data.decode("utf-8")
    except (UnsafePathError, TooLargeError, UnicodeDecodeError):
        return None

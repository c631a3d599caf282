"""Vendor Leaflet and the plugins the maps use into ``alpr_desktop/resources/leaflet``.

The maps must work with no network (requirements §6), so every script, style sheet and
image they load ships with the application. This script takes each package from the npm
registry at a pinned version, checks the tarball's SHA-256, extracts only the files the
maps load plus the licence, and writes ``PROVENANCE.md`` and ``assets.json`` (every
vendored file with its SHA-256; ``tests/unit/test_map_assets.py`` checks them).

Usage::

    .venv/bin/python tools/vendor_leaflet.py [--from-dir DIR]

``--from-dir`` takes the tarballs from a folder (``npm pack leaflet@1.9.4`` …) instead
of downloading them. Run once per version change and commit the result.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "alpr_desktop" / "resources" / "leaflet"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str
    licence: str  # SPDX identifier
    #: Files taken from the tarball (paths below ``package/``).
    files: tuple[str, ...]
    #: The licence file in the tarball, or "" when the package ships none (then the
    #: notice is written from the file header and the package's declared licence).
    licence_file: str = ""
    homepage: str = ""

    @property
    def tarball(self) -> str:
        base = self.name.split("/")[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES = (
    Package(
        "leaflet",
        "1.9.4",
        "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77",
        "BSD-2-Clause",
        (
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ),
        "LICENSE",
        "https://leafletjs.com",
    ),
    Package(
        "leaflet.markercluster",
        "1.5.3",
        "fc6b0b1d00b6c708ae54e43ee4a11ac345e41660e19f0a570190bb35babb1a1c",
        "MIT",
        ("dist/MarkerCluster.css", "dist/MarkerCluster.Default.css"),  # the bubbles' look
        "MIT-LICENCE.txt",
        "https://github.com/Leaflet/Leaflet.markercluster",
    ),
    Package(
        "leaflet.heat",
        "0.2.0",
        "6d980bce16b6bbe8e3b124d200dfd12964ff8f6bfff44eb3a47344f97dfc5c7f",
        "BSD-2-Clause",
        ("dist/leaflet-heat.js",),
        "LICENSE",
        "https://github.com/Leaflet/Leaflet.heat",
    ),
    Package(
        "supercluster",
        "8.0.1",
        "9cc3a18707e07453270c5e0b1d2ec2419af03f1794b8c8ca7ac4e33d61f78673",
        "ISC",
        ("dist/supercluster.min.js",),  # bundles kdbush 4 (ISC, the same author)
        "LICENSE",
        "https://github.com/mapbox/supercluster",
    ),
    Package(
        "leaflet-draw",
        "1.0.4",
        "b3ec161a931ad88b3f008283b824ceac5af98b5ec603877f294834d1edcc3aa6",
        "MIT",
        (
            "dist/leaflet.draw.js",
            "dist/leaflet.draw.css",
            "dist/images/spritesheet.png",
            "dist/images/spritesheet-2x.png",
            "dist/images/spritesheet.svg",
        ),
        "",
        "https://github.com/Leaflet/Leaflet.draw",
    ),
)

MIT_TEXT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
"""


def _tarball(package: Package, from_dir: Path | None) -> bytes:
    if from_dir is not None:
        base = package.name.split("/")[-1]
        data = (from_dir / f"{base}-{package.version}.tgz").read_bytes()
    else:
        with urllib.request.urlopen(package.tarball, timeout=60) as response:
            data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != package.sha256:
        raise SystemExit(f"{package.name} {package.version}: SHA-256 {digest} is not pinned")
    return data


def _licence_text(package: Package, members: dict[str, bytes]) -> str:
    if package.licence_file:
        return members[package.licence_file].decode("utf-8")
    header = members[package.files[0]].decode("utf-8").split("*/", 1)[0].strip("/*\n ")
    if package.licence != "MIT":  # pragma: no cover - only MIT packages lack the file
        raise SystemExit(f"{package.name}: no licence file and no text for {package.licence}")
    return f"{header}\n\n(declared licence: MIT, package.json)\n\n{MIT_TEXT}"


def vendor(package: Package, from_dir: Path | None) -> dict[str, str]:
    """Extract one package; its files (relative to TARGET) with their SHA-256."""
    wanted = set(package.files) | ({package.licence_file} if package.licence_file else set())
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(_tarball(package, from_dir)), mode="r:gz") as tar:
        for member in tar.getmembers():
            path = member.name.removeprefix("package/")
            if path in wanted and member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                members[path] = handle.read()
    missing = wanted - set(members)
    if missing:
        raise SystemExit(f"{package.name}: not in the tarball: {sorted(missing)}")
    folder = TARGET / package.name
    shutil.rmtree(folder, ignore_errors=True)
    sums: dict[str, str] = {}
    for path in package.files:
        # dist/ is dropped: the CSS's relative image paths (images/…) stay right.
        out = folder / path.removeprefix("dist/")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(members[path])
        sums[out.relative_to(TARGET).as_posix()] = hashlib.sha256(members[path]).hexdigest()
    (folder / "LICENSE.txt").write_text(_licence_text(package, members), encoding="utf-8")
    return sums


def _provenance(sums: dict[str, str]) -> str:
    lines = [
        "# Vendored map assets",
        "",
        "Leaflet and its plugins, shipped so that maps work with no network. Written by",
        "`tools/vendor_leaflet.py` from the npm registry; do not edit by hand. Each",
        "folder holds its package's licence as `LICENSE.txt`; `assets.json` lists every",
        "file with its SHA-256.",
        "",
        "| package | version | licence | tarball SHA-256 | from |",
        "|---|---|---|---|---|",
    ]
    for p in PACKAGES:
        lines.append(f"| {p.name} | {p.version} | {p.licence} | `{p.sha256}` | {p.tarball} |")
    lines += ["", f"{len(sums)} files.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    TARGET.mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}
    versions: dict[str, str] = {}
    for package in PACKAGES:
        sums |= vendor(package, args.from_dir)
        versions[package.name] = package.version
    manifest = {"packages": versions, "files": dict(sorted(sums.items()))}
    (TARGET / "assets.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (TARGET / "PROVENANCE.md").write_text(_provenance(sums), encoding="utf-8")
    print(f"wrote {len(sums)} files for {len(PACKAGES)} packages under {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Offline maps: the vendored Leaflet files are whole and licensed, a map references
only them (or the configured tile server), an exported map inlines them, and text from
the database cannot break out of the page's script."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from alpr_desktop.services import map_html
from alpr_desktop.services.map_html import (
    MapAssetError,
    MapCamera,
    MapContent,
    MapRead,
    TileSettings,
    assets_root,
    build_map,
    verify_assets,
)

EPOCH = int(dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.UTC).timestamp())
WEB = re.compile(r"https?://[^\s\"'<>)\\]+")
#: What loads something: a script or image source, a style sheet, a CSS url() (a link
#: a user may click — Leaflet's own credit — loads nothing).
FETCH = re.compile(
    r"""\bsrc\s*=\s*["']?https?:|<link[^>]+href\s*=\s*["']?https?:|url\(\s*["']?https?:"""
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def reads(n: int) -> list[MapRead]:
    return [
        MapRead(i, 38.58 + i * 1e-4, -121.49 - i * 1e-4, "7ABC123", EPOCH, "North gate", "exact")
        for i in range(n)
    ]


def content(**changes: Any) -> MapContent:
    base: dict[str, Any] = {
        "title": "Reads matching 7ABC*",
        "reads": reads(25),
        "cameras": [MapCamera("North gate", 38.5841, -121.4979, 180.0)],
        "area": (38.58, -121.49, 250.0),
        "draw": True,
    }
    return MapContent(**(base | changes))


def test_the_vendored_files_are_whole_and_each_package_has_its_licence() -> None:
    assert verify_assets() == []
    root = assets_root()
    for package in (
        "leaflet",
        "leaflet.markercluster",
        "leaflet.heat",
        "supercluster",
        "leaflet-draw",
    ):
        licence = (root / package / "LICENSE.txt").read_text(encoding="utf-8")
        assert "Copyright" in licence or "(c)" in licence
    assert "tools/vendor_leaflet.py" in (root / "PROVENANCE.md").read_text(encoding="utf-8")


def test_a_map_without_a_tile_server_names_no_web_address_at_all() -> None:
    html = build_map(content(), TileSettings())
    assert WEB.findall(html) == []
    for name in ("leaflet/leaflet.js", "supercluster/", "leaflet.heat/", "leaflet-draw/"):
        assert (assets_root() / name).as_uri().split("/resources/")[1] in html
    assert "new alprGrid(" in html  # the coordinate grid stands in for tiles
    assert "cdn" not in html.lower() and "jquery" not in html.lower()


def test_the_configured_tile_server_is_the_only_web_address() -> None:
    tiles = TileSettings("https://tiles.sacpd.example/{z}/{x}/{y}.png", "© Sacramento PD GIS")
    html = build_map(content(), tiles)
    assert set(WEB.findall(html)) == {"https://tiles.sacpd.example/{z}/{x}/{y}.png"}
    assert "new alprGrid(" not in html
    assert "tileerror" in html  # a server that does not answer is said


def test_the_workstations_tiles_come_through_its_scheme_over_the_grid() -> None:
    from alpr_desktop.services.mbtiles import TILE_URL

    html = build_map(content(), TileSettings(TILE_URL, "City GIS", 17))
    assert WEB.findall(html) == []
    assert '"alpr-tiles:{z}/{x}/{y}"' in html
    assert "new alprGrid({zIndex: 0})" in html  # beyond what the file covers
    # A tile the file lacks is no failure of a server: nothing is said about it.
    assert "tileerror" not in html


def test_an_exported_map_carries_the_workstations_tiles_it_needs() -> None:
    import base64

    from alpr_desktop.services.mbtiles import TILE_URL

    png = PNG + b"tile"
    tiles = TileSettings(TILE_URL, "City GIS", 17, {"14/2662/6285": png})
    html = build_map(content(), tiles, inline=True)
    assert "alpr-tiles:" not in html  # no scheme in a page opened elsewhere
    assert FETCH.findall(html) == [] and "file:" not in html
    assert base64.b64encode(png).decode("ascii") in html
    assert "new alprGrid({zIndex: 0})" in html and "City GIS" in html
    # In the workstation the same settings still ask the scheme (nothing carried).
    assert '"alpr-tiles:{z}/{x}/{y}"' in build_map(content(), tiles)


def test_times_are_shown_in_the_departments_zone() -> None:
    html = build_map(content(time_zone="America/Los_Angeles"), TileSettings())
    assert 'timeZone: "America/Los_Angeles"' in html
    assert "toISOString" not in html and " UTC" not in html


def test_an_exported_map_inlines_every_asset_and_loads_nothing_from_the_web() -> None:
    html = build_map(content(reads=reads(3)), TileSettings(), inline=True)
    assert FETCH.findall(html) == []
    assert "file:" not in html
    assert "Supercluster" in html and "L.heatLayer" in html  # the libraries, inlined
    assert "url(data:image/png;base64," in html  # Leaflet's and the drawing tools' images


def test_text_from_the_database_cannot_end_the_script() -> None:
    hostile = '</script><script>alert("x")</script>'
    evil = [MapRead(1, 38.58, -121.49, "7ABC123", EPOCH, hostile, "exact")]
    camera = [MapCamera("`${alert(1)}`<b>", 38.58, -121.49, None)]
    html = build_map(content(reads=evil, cameras=camera), TileSettings())
    assert hostile not in html and 'alert("x")</script>' not in html
    assert "${alert(1)}" not in html
    assert html.count("<script>alert") == 0


def test_at_most_the_set_number_of_thumbnails_is_inlined() -> None:
    many = reads(map_html.MAX_THUMBNAILS + 50)
    thumbs = {r.read_id: PNG for r in many}
    html = build_map(content(reads=many, thumbnails=thumbs), TileSettings())
    assert html.count("data:image/png;base64,") == map_html.MAX_THUMBNAILS


def test_an_asset_that_is_not_vendored_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import folium

    monkeypatch.setattr(
        folium.Map, "default_js", [*folium.Map.default_js, ("new_thing", "https://cdn.x/a.js")]
    )
    with pytest.raises(MapAssetError, match="new_thing"):
        build_map(content(), TileSettings())


def test_names_that_look_like_templates_are_shown_as_written() -> None:
    camera = [MapCamera("{{ 7*7 }} gate", 38.58, -121.49, None)]
    odd = [MapRead(1, 38.58, -121.49, "7ABC123", EPOCH, "{% raw %}{{ 7*7 }}", "exact")]
    html = build_map(content(reads=odd, cameras=camera), TileSettings())
    assert 'var cameras = ["{% raw %}{{ 7*7 }}"]' in html  # the read's camera, verbatim
    assert "&#123;&#123; 7*7 &#125;&#125; gate" in html  # the tooltip, not evaluated
    assert "49 gate" not in html


def test_a_dispatch_map_draws_alerts_and_tracks_without_the_reads_layers() -> None:
    from alpr_desktop.services.map_html import MapAlert, MapTrack

    hostile = "</script>{{ 7*7 }}`${x}`"
    alerts = [
        MapAlert(7, 38.58, -121.49, "7ABC123", hostile, "stolen_vehicle", "pending", EPOCH, "Gate"),
        MapAlert(8, 38.59, -121.48, "8XYZ987", "Wanted", "", "rejected", EPOCH - 60, hostile),
    ]
    track = MapTrack(hostile, [(38.57, -121.48), (38.575, -121.481)], EPOCH)
    html = build_map(
        MapContent("Operations", alerts=alerts, tracks=[track], show_reads=False),
        TileSettings(),
    )
    assert "Reads (clustered)" not in html and "alpr-time" not in html
    start = html.index(", rows = ") + len(", rows = ")
    import json

    rows = json.loads(html[start : html.index(";\n", start)])
    assert [r[2] for r in rows] == [8, 7]  # oldest first: the newest drawn on top
    assert rows[1][4] == hostile  # the text itself, in JSON that cannot end the script
    assert html.count("</script>") == html.count("<script")
    escaped = "&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;&#96;&#36;&#123;x&#125;&#96;"
    assert f"{escaped}: GPS track" in html  # the tooltip: not markup, not Jinja
    assert "Alert, pending" in html and "GPS track" in html
    assert "[38.575, -121.481]" in html  # the unit's last position marked


def test_a_plate_in_the_title_cannot_end_the_head() -> None:
    html = build_map(content(title="Alert 7: </title><script>alert(1)</script>"), TileSettings())
    assert "<title>Alert 7: &lt;/title&gt;&lt;script&gt;" in html
    assert html.count("<title>") == 1 and "<script>alert(1)" not in html


def test_an_exported_map_without_carried_tiles_asks_no_scheme() -> None:
    from alpr_desktop.services.mbtiles import TILE_URL

    html = build_map(content(), TileSettings(TILE_URL, "City GIS", 19), inline=True)
    assert "alpr-tiles:" not in html and "new alprGrid({zIndex: 0})" in html

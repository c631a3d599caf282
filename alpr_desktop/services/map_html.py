"""Offline folium maps: read locations clustered and as a heat map, cameras, drawing.

Every script, style sheet and image a map loads is one of the files vendored under
``alpr_desktop/resources/leaflet`` (``tools/vendor_leaflet.py``), referenced by its
``file:`` URL — or, for a map exported to a case file, inlined — so a map works in a
building with no network. folium's own CDN links (Leaflet, jQuery, Bootstrap, the
awesome-markers font) are replaced or dropped; an element that brings a CDN asset this
module does not know raises rather than reaching out. The only web address a map may
hold is the department's tile server, when one is configured (``TileSettings``); with
none the background is a plain coordinate grid.

Reads are drawn client-side from one compact JSON array: clustered with Supercluster
(an index built in the page; only the clusters and reads in view are drawn, redrawn as
the view moves — 100,000 reads stay quick) and as a heat map, one at a time from the
layer control, with a time filter over both (two sliders, and Play: the window between
them moved over the reads' span). Thumbnails are not inlined by the thousand: a map
carries at most :data:`MAX_THUMBNAILS` crops, and popups of the others say so. A map of
cameras, alerts and units' tracks (the dispatcher's) has no reads layers. Pure: builds
HTML from what the services give it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from alpr_desktop.services.mbtiles import TILE_SCHEME

#: Vendored file for each asset name (folium's for Map, HeatMap and Draw; our own).
_LOCAL_ASSETS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "supercluster": "supercluster/supercluster.min.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
    "leaflet_draw_js": "leaflet-draw/leaflet.draw.js",
    "leaflet_draw_css": "leaflet-draw/leaflet.draw.css",
}
#: folium's Map assets the maps do not use (Bootstrap, jQuery, awesome markers).
_DROPPED = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)
#: Crops inlined into one map at most (the best-ranked reads'; the rest on demand).
MAX_THUMBNAILS = 200
SACRAMENTO = (38.5816, -121.4944)


class MapAssetError(RuntimeError):
    """folium asked for an asset that is not vendored (a new folium version, say)."""


def assets_root() -> Path:
    """The folder of the vendored Leaflet files (a real folder in every install)."""
    return Path(str(files("alpr_desktop").joinpath("resources", "leaflet")))


def asset_manifest() -> dict[str, str]:
    """Every vendored file (relative path) with its SHA-256, as ``assets.json`` says."""
    data = json.loads((assets_root() / "assets.json").read_text(encoding="utf-8"))
    files_: dict[str, str] = data["files"]
    return files_


def verify_assets() -> list[str]:
    """The vendored files that are missing or changed (empty when all is well)."""
    root, problems = assets_root(), []
    for relative, digest in asset_manifest().items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{relative}: changed")
    return problems


@dataclass(frozen=True)
class TileSettings:
    """Where a map's tiles come from: the department's tile server, the workstation's
    MBTiles file (``mbtiles.TILE_URL``), or — an empty URL — none (a coordinate grid).
    ``inline``: tiles carried in the page itself (``"z/x/y"`` → bytes), for a map
    exported to a case file from the workstation's own tiles; missing ones are grid."""

    url: str = ""
    attribution: str = ""
    max_zoom: int = 19
    inline: Mapping[str, bytes] = field(default_factory=dict)
    media_type: str = "image/png"
    #: The deepest zoom the tiles exist at (beyond it they are drawn enlarged).
    native_zoom: int | None = None

    @property
    def local(self) -> bool:
        """The workstation's own tiles (a file covers an area: the grid shows beyond)."""
        return self.url.startswith(f"{TILE_SCHEME}:")


@dataclass(frozen=True)
class MapRead:
    """One read on the map."""

    read_id: int
    latitude: float
    longitude: float
    plate_text: str
    #: When, as POSIX seconds (what the page uses; the database gives it so).
    read_at_s: int
    camera_name: str
    reason: str = ""


@dataclass(frozen=True)
class MapCamera:
    name: str
    latitude: float
    longitude: float
    direction_deg: float | None = None
    mobile: bool = False


@dataclass(frozen=True)
class MapTrack:
    """A mobile unit's GPS track, oldest point first (its last point: where it is)."""

    name: str
    points: Sequence[tuple[float, float]]
    #: When the last point was fixed, as POSIX seconds.
    last_s: int | None = None


@dataclass(frozen=True)
class MapAlert:
    """Where an alert's read was taken."""

    alert_id: int
    latitude: float
    longitude: float
    plate_text: str
    hotlist: str
    category: str
    #: pending, accepted or rejected.
    status: str
    #: When the read was taken, as POSIX seconds.
    read_at_s: int
    camera_name: str


@dataclass(frozen=True)
class MapContent:
    """What one map shows."""

    title: str
    reads: Sequence[MapRead] = ()
    cameras: Sequence[MapCamera] = ()
    #: Crop bytes by read id, for the popups (at most :data:`MAX_THUMBNAILS` are used).
    thumbnails: Mapping[int, bytes] = field(default_factory=dict)
    #: A canvass circle: (latitude, longitude, metres).
    area: tuple[float, float, float] | None = None
    #: A polygon area (GeoJSON Polygon, lon/lat), drawn as searched or canvassed.
    polygon: Mapping[str, Any] | None = None
    #: Mobile units' GPS tracks.
    tracks: Sequence[MapTrack] = ()
    #: Where alerts were raised (drawn by status; a click names the alert to the bridge).
    alerts: Sequence[MapAlert] = ()
    #: Offer the drawing tools (a point, circle, rectangle or polygon to canvass).
    draw: bool = False
    #: The department's time zone (IANA): times in popups and the time filter.
    time_zone: str = "UTC"
    #: The reads' layers and time filter (a map of cameras and alerts has none).
    show_reads: bool = True
    #: Open at this view (latitude, longitude, zoom) instead of fitting the content:
    #: a map rebuilt where its user had moved it.
    view: tuple[float, float, int] | None = None


def _take_assets(element: Any, wanted: list[str]) -> None:
    """Empty ``element``'s folium asset lists (class attributes shared by every map:
    replaced on the instance), adding the vendored ones it needs to ``wanted``."""
    for attribute in ("default_js", "default_css"):
        for name, url in getattr(element, attribute, []):
            if name in _DROPPED:
                continue
            if name not in _LOCAL_ASSETS:
                raise MapAssetError(f"folium wants {name} from {url}: it is not vendored")
            if name not in wanted:
                wanted.append(name)
        setattr(element, attribute, [])


def _asset_tags(names: Sequence[str], *, inline: bool) -> str:
    """The ``<script>``/``<link>`` tags of the vendored assets, or their contents."""
    tags = []
    for name in names:
        path = assets_root() / _LOCAL_ASSETS[name]
        css = path.suffix == ".css"
        if not inline:
            url = path.as_uri()
            tags.append(
                f'<link rel="stylesheet" href="{url}"/>'
                if css
                else f'<script src="{url}"></script>'
            )
            continue
        text = path.read_text(encoding="utf-8")
        if css:

            def image(m: re.Match[str], folder: Path = path.parent) -> str:
                data = (folder / m.group(2)).read_bytes()
                kind = mimetypes.guess_type(m.group(2))[0] or "image/png"
                return f"url(data:{kind};base64,{base64.b64encode(data).decode('ascii')})"

            tags.append(f"<style>{_CSS_URL.sub(image, text)}</style>")
        else:
            tags.append(f"<script>{text}</script>")
    return "\n".join(tags)


_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _grid_layer() -> str:
    """A Leaflet grid layer drawing each tile's edges and its south-west corner's
    coordinates: the background when no tile server is configured."""
    return """
    var alprGrid = L.GridLayer.extend({
      createTile: function (coords) {
        var tile = document.createElement('canvas');
        var size = this.getTileSize();
        tile.width = size.x; tile.height = size.y;
        var ctx = tile.getContext('2d');
        ctx.fillStyle = '#eef1f4'; ctx.fillRect(0, 0, size.x, size.y);
        ctx.strokeStyle = '#c9d0d8'; ctx.strokeRect(0, 0, size.x, size.y);
        var sw = this._map.unproject(coords.scaleBy(size).add([0, size.y]), coords.z);
        ctx.fillStyle = '#7a8591'; ctx.font = '10px sans-serif';
        ctx.fillText(sw.lat.toFixed(4) + ', ' + sw.lng.toFixed(4), 4, size.y - 4);
        return tile;
      }
    });
    """


def _reads_script(
    map_name: str, reads: Sequence[MapRead], thumbs: Mapping[int, str], zone: str
) -> str:
    """The page's reads as one compact array — ``[lat, lon, id, plate, epoch seconds,
    camera index, reason index]``, repeated names given once — and the code drawing them."""
    cameras: dict[str, int] = {}
    reasons: dict[str, int] = {}
    rows = [
        [
            round(r.latitude, 6),
            round(r.longitude, 6),
            r.read_id,
            r.plate_text,
            r.read_at_s,
            cameras.setdefault(r.camera_name, len(cameras)),
            reasons.setdefault(r.reason, len(reasons)),
        ]
        for r in reads
    ]
    data = _script_json(rows)
    names = _script_json(list(cameras))
    whys = _script_json(list(reasons))
    thumbs_json = _script_json(thumbs)
    code = f"""
    (function () {{
      var timings = window.alprTimings = {{start: performance.now()}};
      var map = {map_name};
      var reads = {data};
      var cameras = {names}, reasons = {whys};
      var thumbs = {thumbs_json};
      var local = window.alprLocal, esc = window.alprEsc;
      function when(r) {{ return local(r[4] * 1000, true); }}
      function popup(r) {{
        var img = thumbs[r[2]] ? '<img src="' + thumbs[r[2]] + '" style="max-width:180px"><br>'
                               : '<i>Open the read for its images.</i><br>';
        var why = reasons[r[6]];
        return img + '<b>' + esc(r[3]) + '</b><br>' + when(r) + '<br>' + esc(cameras[r[5]])
             + (why ? '<br><small>' + esc(why) + '</small>' : '');
      }}
      // Clustered with Supercluster (an index built once, ~0.1 s for 100,000 points):
      // only the clusters and reads in view are drawn, redrawn when the view moves.
      var style = {{radius: 6, weight: 1, color: '#0d47a1', fillColor: '#1e88e5',
                   fillOpacity: 0.8}};
      function clicked() {{
        var r = this.alprRow;
        this.bindPopup(popup(r)).openPopup();
        if (window.alprBridge) {{ window.alprBridge.readClicked(r[2]); }}
      }}
      function expand() {{
        var zoom = Math.min(index.getClusterExpansionZoom(this.alprCluster), map.getMaxZoom());
        map.setView(this.getLatLng(), zoom);
      }}
      function bubble(n) {{
        var size = n < 100 ? 'small' : n < 1000 ? 'medium' : 'large';
        return L.divIcon({{html: '<div><span>' + n + '</span></div>', iconSize: L.point(40, 40),
                          className: 'marker-cluster marker-cluster-' + size}});
      }}
      var index = new Supercluster({{radius: 60, maxZoom: 16}});
      var kept = reads;
      function load(rows) {{
        kept = rows;
        index.load(rows.map(function (r) {{
          return {{type: 'Feature', properties: {{r: r}},
                  geometry: {{type: 'Point', coordinates: [r[1], r[0]]}}}};
        }}));
      }}
      var cluster = L.layerGroup();
      function update() {{
        if (!map.hasLayer(cluster)) {{ return; }}
        var b = map.getBounds();
        var found = index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
                                      map.getZoom());
        cluster.clearLayers();
        for (var i = 0; i < found.length; i++) {{
          var f = found[i], at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          var m;
          if (f.properties.cluster) {{
            m = L.marker(at, {{icon: bubble(f.properties.point_count)}}).on('click', expand);
            m.alprCluster = f.properties.cluster_id;
          }} else {{
            m = L.circleMarker(at, style).on('click', clicked);
            m.alprRow = f.properties.r;
          }}
          cluster.addLayer(m);
        }}
      }}
      load(reads);
      timings.markers = performance.now();
      map.on('moveend', update);
      cluster.on('add', update);
      cluster.addTo(map);
      timings.clustered = performance.now();
      var heat = L.heatLayer(reads.map(function (r) {{ return [r[0], r[1]]; }}),
                             {{radius: 18, blur: 14, maxZoom: 17}});
      L.control.layers(null, {{'Reads (clustered)': cluster, 'Heat map': heat}},
                       {{collapsed: false}}).addTo(map);
      map.on('draw:created', function (e) {{
        // An area drawn to search or canvass: to the application (the bridge checks it).
        var shape = {{geometry: e.layer.toGeoJSON().geometry,
                     radius: e.layer.getRadius ? e.layer.getRadius() : null}};
        window.alprDrawn = shape;
        if (window.alprBridge) {{ window.alprBridge.areaDrawn(JSON.stringify(shape)); }}
      }});
      // The time filter: two sliders over the reads' span; the layers keep the reads
      // between them (rebuilt in bulk, a moment after the last move).
      var times = reads.map(function (r) {{ return r[4] * 1000; }});
      var first = Math.min.apply(null, times.length ? times : [0]);
      var last = Math.max.apply(null, times.length ? times : [0]);
      function keep(lo, hi) {{
        var rows = [], points = [];
        for (var i = 0; i < reads.length; i++) {{
          if (times[i] >= lo && times[i] <= hi) {{
            rows.push(reads[i]); points.push([reads[i][0], reads[i][1]]);
          }}
        }}
        load(rows); heat.setLatLngs(points); update();
        return rows.length;
      }}
      var TimeFilter = L.Control.extend({{
        options: {{position: 'bottomleft'}},
        onAdd: function () {{
          var box = L.DomUtil.create('div', 'leaflet-bar alpr-time');
          box.style.cssText = 'background:#fff;padding:6px 8px;font:12px sans-serif';
          box.innerHTML = '<div class="alpr-time-label"></div>'
            + '<input class="alpr-from" type="range" min="0" max="1000" value="0">'
            + '<input class="alpr-to" type="range" min="0" max="1000" value="1000">'
            + '<button class="alpr-play" type="button" title="Play the reads over time: the'
            + ' window between the sliders moves from the first read to the last">▶ Play'
            + '</button>';
          L.DomEvent.disableClickPropagation(box);
          var from = box.querySelector('.alpr-from'), to = box.querySelector('.alpr-to');
          var label = box.querySelector('.alpr-time-label'), pending = null;
          function at(v) {{ return first + (last - first) * v / 1000; }}
          function text(t) {{ return local(t, false); }}
          function apply() {{
            var a = +from.value, b = +to.value;
            var lo = at(Math.min(a, b)), hi = at(Math.max(a, b));
            var n = keep(lo, hi);
            label.textContent = text(lo) + ' – ' + text(hi) + ': ' + n + ' read(s)';
          }}
          function moved() {{ clearTimeout(pending); pending = setTimeout(apply, 150); }}
          from.addEventListener('input', moved); to.addEventListener('input', moved);
          label.textContent = reads.length ? text(first) + ' – ' + text(last) + ': '
            + reads.length + ' read(s)' : 'No reads';
          // Played over time: the window between the sliders (a tenth of the span when
          // they hold all of it) steps from the first read to the last, 100 steps.
          var play = box.querySelector('.alpr-play'), playing = null;
          function stop() {{
            clearInterval(playing); playing = null; play.textContent = '▶ Play';
          }}
          play.disabled = !reads.length || first === last;
          play.addEventListener('click', function () {{
            if (playing) {{ stop(); return; }}
            var width = Math.abs(+to.value - +from.value);
            if (width >= 1000 || width === 0) {{ width = 100; }}
            var start = 0;
            play.textContent = '■ Stop';
            playing = setInterval(function () {{
              from.value = start; to.value = Math.min(1000, start + width); apply();
              start += 10;
              if (start + width > 1010) {{ stop(); }}
            }}, 120);
          }});
          this.apply = apply; this.stop = stop;
          this.playing = function () {{ return playing !== null; }};
          return box;
        }}
      }});
      var timeFilter = new TimeFilter().addTo(map);
      window.alprMap = {{map: map, cluster: cluster, heat: heat, reads: reads.length,
                        shown: function () {{ return kept.length; }}, update: update,
                        keep: keep, timeFilter: timeFilter, first: first, last: last}};
    }})();
    """
    return _time_script(zone) + code


def _time_script(zone: str) -> str:
    """``alprLocal(ms, seconds)``: a time in the department's zone (IANA), as everywhere
    else in the application; ``alprEsc``: text made safe for a popup's HTML."""
    return f"""
    window.alprLocal = function (ms, seconds) {{
      var parts = {{}}, options = {{timeZone: {_script_json(zone)}, hourCycle: 'h23',
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
        second: seconds ? '2-digit' : undefined, timeZoneName: 'short'}}, format;
      try {{
        format = new Intl.DateTimeFormat('en-CA', options);
      }} catch (e) {{  // a zone this browser does not know: universal time (named)
        options.timeZone = 'UTC';
        format = new Intl.DateTimeFormat('en-CA', options);
      }}
      format.formatToParts(new Date(ms)).forEach(function (p) {{ parts[p.type] = p.value; }});
      return parts.year + '-' + parts.month + '-' + parts.day + ' ' + parts.hour + ':'
           + parts.minute + (seconds ? ':' + parts.second : '') + ' ' + parts.timeZoneName;
    }};
    window.alprEsc = function (s) {{
      return String(s).replace(/[&<>"']/g, function (c) {{
        return {{'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}}[c];
      }});
    }};
    """


def _alerts_script(map_name: str, alerts: Sequence[MapAlert]) -> str:
    """The alerts as one array, drawn by status (pending red, accepted amber, rejected
    grey), newest on top; a click opens the alert's popup and names it to the bridge."""
    rows = [
        [a.latitude, a.longitude, a.alert_id, a.plate_text, a.hotlist, a.category, a.status,
         a.read_at_s, a.camera_name]
        for a in sorted(alerts, key=lambda a: a.read_at_s)
    ]  # fmt: skip
    return f"""
    (function () {{
      var map = {map_name}, rows = {_script_json(rows)};
      var look = {{pending: ['#b71c1c', '#e53935'], accepted: ['#e65100', '#ffb74d'],
                  rejected: ['#616161', '#bdbdbd']}};
      var layer = L.layerGroup().addTo(map);
      rows.forEach(function (a) {{
        var c = look[a[6]] || look.pending;
        var m = L.circleMarker([a[0], a[1]], {{radius: a[6] === 'pending' ? 10 : 7, weight: 2,
          color: c[0], fillColor: c[1], fillOpacity: 0.95, className: 'alpr-alert'}});
        m.bindPopup('<b>' + alprEsc(a[3]) + '</b> — ' + alprEsc(a[4])
          + (a[5] ? ' (' + alprEsc(a[5]) + ')' : '') + '<br>' + alprLocal(a[7] * 1000, true)
          + '<br>' + alprEsc(a[8]) + '<br>Alert ' + a[2] + ', ' + alprEsc(a[6]));
        m.on('click', function () {{
          if (window.alprBridge && window.alprBridge.alertClicked) {{
            window.alprBridge.alertClicked(a[2]);
          }}
        }});
        layer.addLayer(m);
      }});
      var Legend = L.Control.extend({{
        options: {{position: 'bottomleft'}},
        onAdd: function () {{
          var box = L.DomUtil.create('div', 'leaflet-bar alpr-legend');
          box.style.cssText = 'background:#fff;padding:6px 8px;font:12px sans-serif';
          function dot(fill, edge, text) {{
            return '<div><span style="display:inline-block;width:10px;height:10px;'
              + 'border-radius:50%;margin-right:6px;background:' + fill + ';border:2px solid '
              + edge + '"></span>' + text + '</div>';
          }}
          box.innerHTML = dot('#e53935', '#b71c1c', 'Alert, pending')
            + dot('#ffb74d', '#e65100', 'Alert, accepted')
            + dot('#bdbdbd', '#616161', 'Alert, rejected')
            + dot('#2e7d32', '#2e7d32', 'Camera (stroke: the way it faces)')
            + dot('#ce93d8', '#4a148c', 'Mobile unit, where it is; its track in purple');
          return box;
        }}
      }});
      new Legend().addTo(map);
      window.alprAlerts = {{layer: layer, count: rows.length}};
    }})();
    """


def _carried_tiles(map_name: str, tiles: TileSettings) -> str:
    """A tile layer over the grid drawing the tiles the page carries (a map exported
    from the workstation's own tiles); where it carries none, the grid shows."""
    prefix = f"data:{tiles.media_type};base64,"
    native = int(tiles.native_zoom if tiles.native_zoom is not None else tiles.max_zoom)
    carried = {key: base64.b64encode(data).decode("ascii") for key, data in tiles.inline.items()}
    return f"""
    (function () {{
      var carried = {_script_json(carried)}, prefix = {_script_json(prefix)};
      var Carried = L.TileLayer.extend({{
        getTileUrl: function (c) {{
          var data = carried[c.z + '/' + c.x + '/' + c.y];
          return data ? prefix + data : L.Util.emptyImageUrl;
        }}
      }});
      new Carried('', {{maxZoom: {int(tiles.max_zoom)}, maxNativeZoom: {native},
                       attribution: {_script_json(html.escape(tiles.attribution))}}})
        .addTo({map_name});
    }})();
    """


def _tooltip(text: str) -> str:
    """Text for a folium tooltip, which folium puts into a JavaScript template literal
    as HTML unescaped — and then parses again as Jinja: markup, backticks, ``${`` and
    braces are neutralised (a camera named ``{{ … }}`` must not be evaluated)."""
    return (
        html.escape(text)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
    )


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>`` or ``<!--`` can end it."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _data_uri(data: bytes) -> str:
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def content_bounds(content: MapContent) -> list[list[float]] | None:
    points = [(r.latitude, r.longitude) for r in content.reads]
    points += [(c.latitude, c.longitude) for c in content.cameras]
    points += [p for t in content.tracks for p in t.points]
    points += [(a.latitude, a.longitude) for a in content.alerts]
    if content.area is not None:
        points.append(content.area[:2])
    if content.polygon is not None:
        points += [(lat, lon) for lon, lat in content.polygon["coordinates"][0]]
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def build_map(content: MapContent, tiles: TileSettings, *, inline: bool = False) -> str:
    """The map as one HTML document. ``inline`` puts every asset into the page (a
    standalone file for a case file); otherwise assets are ``file:`` URLs."""
    import branca.element
    import folium
    from folium.plugins import Draw, HeatMap

    # maxZoom on the map itself: folium gives it only to a tile layer, and the cluster
    # layer needs it with none (the grid background).
    options: dict[str, Any] = {"maxZoom": tiles.max_zoom}
    fmap = folium.Map(location=SACRAMENTO, zoom_start=13, tiles=None, prefer_canvas=True, **options)
    wanted: list[str] = []
    _take_assets(fmap, wanted)
    # branca writes the title into <title> as it is: a plate could end the head.
    fmap.get_root().title = html.escape(content.title)  # type: ignore[attr-defined]
    tile_layer = None
    carried = inline and bool(tiles.inline)
    # An exported page never asks the workstation's scheme (nothing serves it elsewhere).
    if tiles.url and not carried and not (inline and tiles.local):
        tile_layer = folium.TileLayer(
            tiles=tiles.url, attr=_tooltip(tiles.attribution or "Tiles"),
            max_zoom=tiles.max_zoom, max_native_zoom=tiles.native_zoom, name="Map",
        ).add_to(fmap)  # fmt: skip
    # The reads are drawn by the page's own script with these plugins' assets.
    _take_assets(HeatMap([[0.0, 0.0]]), wanted)
    # Supercluster clusters; Leaflet.markercluster's style sheets give the bubbles their look.
    wanted += ["supercluster", "markerclustercss", "markerclusterdefaultcss"]
    name = fmap.get_name()
    grid = tile_layer is None or tiles.local
    # Beneath any tiles (zIndex 0): the grid shows beyond what the workstation's cover.
    script = _grid_layer() + f"new alprGrid({{zIndex: 0}}).addTo({name});" if grid else ""
    if carried:
        script += _carried_tiles(name, tiles)
    if tile_layer is not None and not tiles.local:
        # A tile server that does not answer: the application says so; the map stays.
        script += (
            f"{tile_layer.get_name()}.once('tileerror', function () {{"
            " window.alprTilesFailed = true;"
            " if (window.alprBridge) { window.alprBridge.tilesFailed(); } });"
        )
    for cam in content.cameras:
        _camera(fmap, cam)
    if content.area is not None:
        lat, lon, metres = content.area
        folium.Circle([lat, lon], radius=metres, color="#e65100", fill=False,
                      tooltip=f"Canvass area, {metres:g} m").add_to(fmap)  # fmt: skip
    if content.polygon is not None:
        ring = [[lat, lon] for lon, lat in content.polygon["coordinates"][0]]
        folium.Polygon(ring, color="#e65100", fill=False, tooltip="The area").add_to(fmap)
    for track in content.tracks:
        if not track.points:
            continue
        folium.PolyLine([list(p) for p in track.points], color="#6a1b9a", weight=3,
                        tooltip=_tooltip(f"{track.name}: GPS track")).add_to(fmap)  # fmt: skip
        here = _tooltip(f"{track.name}: last position")
        folium.CircleMarker(
            list(track.points[-1]), radius=7, color="#4a148c", fill=True,
            fill_color="#ce93d8", fill_opacity=1.0, tooltip=here,
        ).add_to(fmap)  # fmt: skip
    if content.draw:
        draw = Draw(
            draw_options={"polyline": False, "circlemarker": False, "marker": True,
                          "rectangle": True, "polygon": True, "circle": True},
            edit_options={"edit": False},
        )  # fmt: skip
        _take_assets(draw, wanted)
        draw.add_to(fmap)
    thumbs = {
        r.read_id: _data_uri(content.thumbnails[r.read_id])
        for r in content.reads[:MAX_THUMBNAILS]
        if r.read_id in content.thumbnails
    }
    if content.show_reads:
        script += _reads_script(name, content.reads, thumbs, content.time_zone)
    else:
        script += f"window.alprMap = {{map: {name}}};" + _time_script(content.time_zone)
    if content.alerts:
        script += _alerts_script(name, content.alerts)
    bounds = content_bounds(content)
    if content.view is not None:
        lat, lon, zoom = content.view
        script += f"{name}.setView([{float(lat)!r}, {float(lon)!r}], {int(zoom)});"
    elif bounds is not None:
        script += f"{name}.fitBounds({json.dumps(bounds)}, {{maxZoom: 16, padding: [20, 20]}});"
    # Where the user has moved the map, for a rebuilt map to open there.
    script += (
        f"{name}.on('moveend', function () {{ var c = {name}.getCenter();"
        " if (window.alprBridge && window.alprBridge.viewMoved) {"
        f" window.alprBridge.viewMoved(c.lat, c.lng, {name}.getZoom()); }} }});"
    )
    root: Any = fmap.get_root()
    # The tags as a value, not as a template: an inlined Leaflet is never parsed as Jinja.
    assets = branca.element.Element("{{ this.markup }}")
    assets.markup = _asset_tags(wanted, inline=inline)  # type: ignore[attr-defined]
    root.header.add_child(assets, index=0)
    fmap.add_child(_page_script(script))  # rendered after the map and its layers exist
    return str(root.render())


def _camera(fmap: Any, cam: MapCamera) -> None:
    import math

    import folium

    label = _tooltip(f"{cam.name} (mobile)" if cam.mobile else cam.name)
    folium.CircleMarker([cam.latitude, cam.longitude], radius=7, color="#2e7d32", fill=True,
                        fill_opacity=1.0, tooltip=label).add_to(fmap)  # fmt: skip
    if cam.direction_deg is not None:
        # A 60 m stroke the way the camera faces (bearing, clockwise from north).
        rad = math.radians(cam.direction_deg)
        d_lat = 60 * math.cos(rad) / 111_320
        d_lon = 60 * math.sin(rad) / (111_320 * math.cos(math.radians(cam.latitude)))
        folium.PolyLine([[cam.latitude, cam.longitude],
                         [cam.latitude + d_lat, cam.longitude + d_lon]],
                        color="#2e7d32", weight=4).add_to(fmap)  # fmt: skip


def _page_script(code: str) -> Any:
    """An element whose script is ``code``, rendered in order with the map's children.

    folium wraps each element's rendered script in a new Jinja template, which would
    parse the page's megabytes of data as Jinja (slow, and a camera named ``{{ x }}``
    would be evaluated); this one hands the script over as a value instead.
    """
    from branca.element import Element, MacroElement

    class PageScript(MacroElement):
        def render(self, **kwargs: Any) -> str:
            holder = Element("{{ this.code }}")
            holder.code = code  # type: ignore[attr-defined]
            root: Any = self.get_root()
            root.script.add_child(holder, name=self.get_name())
            return ""

    return PageScript()

"""The Cameras page: the registry through its service, offscreen."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.cameras import CameraDialog, CamerasPage
from alpr_desktop.services.camera_tracks import import_track_file
from alpr_desktop.services.cameras import CameraFields
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle

NMEA = """\
$GPRMC,120000,A,3746.494,N,12225.164,W,10.0,90.0,011226,,,A*65
$GPRMC,120010,A,3746.494,N,12225.064,W,10.0,90.0,011226,,,A*65
not a sentence at all
$GPRMC,120020,A,3746.494,N,12224.964,W,10.0,90.0,011226,,,A*6E
"""


def open_page(qtbot: QtBot, gui: GuiContext, actor) -> CamerasPage:
    page = CamerasPage(gui, actor)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    return page


def test_add_a_camera_through_the_dialog(qtbot: QtBot, gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    page = open_page(qtbot, gui, admin)
    assert page.model.rowCount() == 0
    page.do_add()
    dialog = page.active_dialog
    assert isinstance(dialog, CameraDialog)
    dialog.name_edit.setText("North gate")
    dialog.source_edit.setText("ftp://cam.example/x")
    dialog.lat_edit.setText("37.7749")
    dialog.lon_edit.setText("-122.4194")
    dialog.submit()
    wait_idle(qtbot, gui)
    assert dialog.isVisible() and "scheme" in dialog.error_label.text()
    dialog.source_edit.setText("rtsp://user:secret@cam.example/live")
    dialog.lat_edit.setText("north")
    dialog.submit()
    assert "latitude 'north' is not a number" in dialog.error_label.text()
    dialog.lat_edit.setText("37.7749")
    dialog.dir_edit.setText("90")
    dialog.submit()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    row = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert row[0] == "North gate" and row[1] == "IP camera (RTSP)"
    assert "secret" not in row[2] and "***" in row[2]
    assert row[3] == "Enabled" and "facing 90°" in row[4]


def test_toggle_and_read_only_for_others(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    cameras = gui.services.cameras
    view = cameras.create(
        admin, CameraFields(name="Lobby", source="0", latitude=1.0, longitude=2.0)
    )
    page = open_page(qtbot, gui, admin)
    assert page.select_camera(view.id)
    assert page.buttons["toggle"].text() == "Disable"
    page.do_toggle()
    qtbot.waitUntil(lambda: page.model.row_at(0).enabled is False, timeout=10_000)
    assert page.buttons["toggle"].text() == "Enable"
    supervisor = create_active_user(gui.application, admin, "sue.s", [Role.SUPERVISOR])
    other = open_page(qtbot, gui, supervisor)
    assert not any(button.isEnabled() for button in other.buttons.values())


def test_gps_track_import_counts_malformed_lines(gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    cameras = gui.services.cameras
    unit = cameras.create(admin, CameraFields(name="Unit 12", source="0", mobile=True))
    track = tmp_path / "unit12.nmea"
    track.write_text(NMEA, encoding="ascii")
    text = import_track_file(cameras, admin, unit.id, track)
    assert "3 fixes" in text and "1 malformed" in text and "Stored 3 new fixes" in text
    assert "Line 3:" in text
    again = import_track_file(cameras, admin, unit.id, track)
    assert "Stored 0 new fixes (3 were already stored)" in again

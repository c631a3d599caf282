"""The filter bar of the Search page and the time-window fields both pages share.

The area is a circle typed as "latitude, longitude, metres", or a circle or polygon
drawn on the search's map (:meth:`FilterBar.set_area`; a polygon is shown by its corner
count and can be cleared). Camera names are typed as a comma-separated list: the camera
list is an administrator's call (``MANAGE_CAMERAS``) and no service lets an investigator
list cameras, so there is nothing to fill a multi-select with (names matched ignoring
case).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from alpr_desktop.errors import ValidationError
from alpr_desktop.gui.map_view import DrawnPolygon
from alpr_desktop.services.search import Area, ReadFilters

DATETIME_FORMAT = "yyyy-MM-dd HH:mm"


def datetime_edit(parent: QWidget, value: dt.datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime(value.astimezone().replace(tzinfo=None)), parent)
    edit.setDisplayFormat(DATETIME_FORMAT)
    edit.setCalendarPopup(True)
    return edit


def aware(edit: QDateTimeEdit) -> dt.datetime:
    """The edit's local time as an aware datetime (the service refuses naive ones)."""
    value = edit.dateTime().toPython()
    assert isinstance(value, dt.datetime)
    return value.astimezone()


def parse_numbers(text: str, count: int, label: str) -> tuple[float, ...]:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != count:
        raise ValidationError(f"{label} must be {count} numbers separated by commas.")
    return numbers


def parse_near(text: str) -> tuple[float, float, float] | None:
    """``"38.58, -121.49, 500"`` -> (lat, lon, metres); empty -> None."""
    if not text.strip():
        return None
    lat, lon, metres = parse_numbers(text, 3, "The radius (latitude, longitude, metres)")
    return lat, lon, metres


class FilterBar(QWidget):
    """Time range, cameras, radius, hotlist hits and mobile units for a search."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        now = dt.datetime.now(dt.UTC)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        self.since_check = QCheckBox("From", self)
        self.since_edit = datetime_edit(self, now - dt.timedelta(days=7))
        self.until_check = QCheckBox("to", self)
        self.until_edit = datetime_edit(self, now)
        for check, edit in (
            (self.since_check, self.since_edit),
            (self.until_check, self.until_edit),
        ):
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
        self.cameras_edit = QLineEdit(self)
        self.cameras_edit.setPlaceholderText("any camera (names, comma-separated)")
        self.near_edit = QLineEdit(self)
        self.near_edit.setPlaceholderText("latitude, longitude, metres")
        self.polygon: dict[str, Any] | None = None
        self.polygon_label = DrawnPolygon(self)  # in the near field's place when drawn
        self.polygon_label.cleared.connect(lambda: self.set_area(None))
        self.hits_check = QCheckBox("Hotlist hits only", self)
        self.mobile_check = QCheckBox("Mobile units only", self)
        grid.addWidget(self.since_check, 0, 0)
        grid.addWidget(self.since_edit, 0, 1)
        grid.addWidget(self.until_check, 0, 2)
        grid.addWidget(self.until_edit, 0, 3)
        grid.addWidget(QLabel("Cameras:", self), 0, 4)
        grid.addWidget(self.cameras_edit, 0, 5)
        grid.addWidget(QLabel("Within:", self), 1, 0)
        grid.addWidget(self.near_edit, 1, 1, 1, 3)
        grid.addWidget(self.polygon_label, 1, 1, 1, 3)
        grid.addWidget(self.hits_check, 1, 4)
        grid.addWidget(self.mobile_check, 1, 5)
        grid.setColumnStretch(5, 1)

    def filters(self) -> ReadFilters:
        """The filters as typed, or a :class:`ValidationError` saying what is wrong."""
        cameras = tuple(c.strip() for c in self.cameras_edit.text().split(",") if c.strip())
        filters = ReadFilters(
            since=aware(self.since_edit) if self.since_check.isChecked() else None,
            until=aware(self.until_edit) if self.until_check.isChecked() else None,
            cameras=cameras,
            area=Area(
                near=None if self.polygon else parse_near(self.near_edit.text()),
                polygon=self.polygon,
            ),
            hotlist_hits_only=self.hits_check.isChecked(),
            mobile_only=self.mobile_check.isChecked(),
        )
        filters.check()
        return filters

    def set_area(self, area: dict[str, Any] | None) -> None:
        """Take an area drawn on the map (``MapBridge.area_drawn``), or clear it."""
        circle = (area or {}).get("circle")
        self.polygon = (area or {}).get("polygon")
        if circle is not None:
            lat, lon, metres = circle
            self.near_edit.setText(f"{lat:.6f}, {lon:.6f}, {metres:g}")
        elif self.polygon is not None:
            self.near_edit.clear()
        self.polygon_label.show_polygon(self.polygon)
        self.near_edit.setVisible(self.polygon is None)

"""A canvass's plates as a table: the most-read first (the service's order)."""

from __future__ import annotations

from alpr_desktop.gui.pages.rows_model import RowsModel
from alpr_desktop.services.search import CanvassPlate

COLUMNS = ("Plate", "Reads", "First seen", "Last seen", "Cameras", "Nearest")


def _cells(plate: CanvassPlate) -> tuple[str, ...]:
    return (
        plate.plate_text,
        str(plate.reads),
        f"{plate.first_seen.astimezone():%Y-%m-%d %H:%M:%S}",
        f"{plate.last_seen.astimezone():%Y-%m-%d %H:%M:%S}",
        ", ".join(plate.cameras) or "ad-hoc source",
        f"{plate.nearest_m:,.0f} m",
    )


class CanvassRow:
    """A plate with the ``id`` the rows model wants (its place in the canvass)."""

    def __init__(self, index: int, plate: CanvassPlate) -> None:
        self.id = index
        self.plate = plate


class CanvassModel(RowsModel[CanvassRow]):
    def __init__(self) -> None:
        super().__init__(COLUMNS, lambda row: _cells(row.plate))

    def set_plates(self, plates: list[CanvassPlate]) -> None:
        self.set_rows([CanvassRow(i, p) for i, p in enumerate(plates)])

    def plate_at(self, row: int) -> CanvassPlate:
        return self.row_at(row).plate

    def tooltip(self, record: CanvassRow, column: str) -> str | None:
        if column == "Cameras":
            return ", ".join(record.plate.cameras) or None
        return None

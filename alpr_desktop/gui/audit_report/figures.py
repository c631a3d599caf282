"""The audit report's figures as tables and its two charts (Qt Charts)."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.services.audit_report import ReportTable, ReportView

BAR = QColor("#2f6db5")
#: Users in the per-user chart (the table lists them all).
TOP_USERS = 12


class FigureTable(QTableWidget):
    """One table of figures, sized to its rows (the page scrolls, not the table)."""

    def __init__(self, table: ReportTable, parent: QWidget | None = None) -> None:
        super().__init__(max(1, len(table.rows)), len(table.columns), parent)
        self.setObjectName(f"figures_{table.key}")
        self.setHorizontalHeaderLabels(list(table.columns))
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if not table.rows:
            self.setSpan(0, 0, 1, len(table.columns))
            self.setItem(0, 0, QTableWidgetItem("None in this period."))
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(f"{value:,}" if isinstance(value, int) else str(value))
                if isinstance(value, int):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.setItem(r, c, item)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        rows = self.verticalHeader().defaultSectionSize() * self.rowCount()
        self.setFixedHeight(header.sizeHint().height() + rows + 2 * self.frameWidth())

    def cell_texts(self) -> list[list[str]]:
        """What the table shows (for the tests)."""
        return [
            [(self.item(r, c).text() if self.item(r, c) else "") for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]


class FiguresView(QScrollArea):
    """Every figure table of a report, one under the other."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditFigures")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tables: dict[str, FigureTable] = {}
        self._inner = QWidget()
        self.setWidget(self._inner)
        QVBoxLayout(self._inner)

    def show_report(self, view: ReportView | None) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 12, 0)
        layout.setSpacing(4)
        self.tables = {}
        for table in view.tables if view is not None else []:
            title = QLabel(table.title, inner)
            title.setObjectName("sectionTitle")
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            widget = FigureTable(table, inner)
            self.tables[table.key] = widget
            layout.addSpacing(8)
            layout.addWidget(title)
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(inner)
        self._inner = inner


def bar_chart(
    title: str, labels: list[str], values: list[int], *, angle: int = 0, dark: bool = False
) -> QChart:
    chart = QChart()
    if dark:  # the dark theme's window: a dark chart, not a white card on it
        chart.setTheme(QChart.ChartTheme.ChartThemeDark)
    chart.setTitle(title)
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    bars = QBarSet(title)
    bars.append([float(v) for v in values])
    series = QBarSeries()
    series.append(bars)
    series.setBarWidth(0.8)
    chart.addSeries(series)
    bars.setColor(BAR)  # after the theme has decorated the series
    axis_x = QBarCategoryAxis()
    axis_x.append(labels)
    axis_x.setLabelsAngle(angle)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis_x)
    axis_y = QValueAxis()
    peak = max([*values, 1])
    axis_y.setRange(0, peak)
    axis_y.setTickCount(min(peak, 4) + 1)
    axis_y.setLabelFormat("%d")
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_y)
    return chart


class ChartsView(QWidget):
    """Searches per day and per user, as bar charts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.per_day = QChartView(self)
        self.per_day.setObjectName("chartPerDay")
        self.per_user = QChartView(self)
        self.per_user.setObjectName("chartPerUser")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for view in (self.per_day, self.per_user):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(200)
            layout.addWidget(view, 1)
        self.show_report(None)

    def show_report(self, view: ReportView | None) -> None:
        dark = self.palette().window().color().lightness() < 128
        days = view.per_day if view is not None else []
        users = list(view.table("searches_by_user").rows)[:TOP_USERS] if view is not None else []
        self.per_day.setChart(
            bar_chart(
                "Searches per day",
                [day[5:] for day, _count in days],
                [count for _day, count in days],
                angle=-90 if len(days) > 10 else 0,
                dark=dark,
            )
        )
        title = "Searches per user" + (f" (top {TOP_USERS})" if len(users) == TOP_USERS else "")
        self.per_user.setChart(
            bar_chart(title, [str(r[0]) for r in users], [int(r[1]) for r in users], dark=dark)
        )

    def series_values(self) -> tuple[list[float], list[float]]:
        """The bars shown, per day and per user (for the tests)."""
        found = []
        for view in (self.per_day, self.per_user):
            series = view.chart().series()[0]
            assert isinstance(series, QBarSeries)
            bars = series.barSets()[0]
            found.append([bars.at(i) for i in range(bars.count())])
        return found[0], found[1]

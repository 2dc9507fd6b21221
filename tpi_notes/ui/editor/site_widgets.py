"""The number and choice inputs of the site details panel, each reporting (Site field, new value)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QWidget

from tpi_notes.domain.session import EStim, Site
from tpi_notes.ui.editor.fields import FIELD_HEIGHT, FieldErrors, OptionalDoubleSpin, OptionalSpin

MAX_SITE_ML = 30.0  # the widget's hard stop; the service's own limit is the authority
ESTIM_FIELDS = (  # name, label, maximum, decimals, suffix
    ("frequency_hz", "Frequency:", 250.0, 1, " Hz"),
    ("pulse_width_us", "Pulse width:", 1000.0, 0, " µs"),
    ("intensity_ma", "Intensity:", 60.0, 1, " mA"),
    ("minutes", "Duration:", 60.0, 0, " min"),
)


def show_number(spin: QDoubleSpinBox | OptionalSpin | OptionalDoubleSpin, value: float) -> None:
    """Show ``value`` unless the box already holds it: setting it again rewrote the text while it was being typed
    (typing "2.5" into "1.00 mL": "2" was taken, the box showed "2.00 mL", and ".5" was refused — H30 audit)."""
    if spin.value() != value:
        spin.setValue(value)


def _spin(maximum: float, decimals: int, suffix: str, step: float, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(0.0, maximum)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setMinimumWidth(120)
    spin.setMaximumWidth(200)
    spin.setMinimumHeight(FIELD_HEIGHT)
    return spin


class SiteInputs(QObject):
    """Syringe, volume, aspiration, passes, needles in/out, dwell: created here, laid out by the panel."""

    edited = Signal(str, object)
    """The user changed a field: (Site field name, new value)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._filling = False
        self.preparation_label = QComboBox(parent)
        self.volume_ml = _spin(MAX_SITE_ML, 2, " mL", 0.5, parent)
        self.aspiration = QCheckBox("Aspiration negative", parent)
        self.passes = OptionalSpin(50, "", parent)
        self.needles_in = OptionalSpin(100, "", parent)
        self.needles_out = OptionalSpin(100, "", parent)
        self.dwell_minutes = OptionalDoubleSpin(120.0, 0, " min", 1.0, parent)
        for name in ("preparation_label", "volume_ml", "aspiration", "passes", "needles_in", "needles_out",
                     "dwell_minutes"):
            self.widget(name).setObjectName(f"site_{name}")
        self.preparation_label.currentIndexChanged.connect(
            lambda _i: self._emit("preparation_label", self.preparation_label.currentData()))
        self.volume_ml.valueChanged.connect(lambda v: self._emit("volume_ml", round(v, 2)))
        self.aspiration.toggled.connect(lambda on: self._emit("aspiration", True if on else None))
        for name in ("passes", "needles_in", "needles_out", "dwell_minutes"):
            spin = self.widget(name)
            spin.valueChanged.connect(lambda _v, n=name, s=spin: self._emit(n, s.optional_value()))

    def widget(self, name: str) -> QWidget:
        return getattr(self, name)

    def _emit(self, name: str, value: object) -> None:
        if not self._filling:
            self.edited.emit(name, value)

    def show_site(self, site: Site, syringes: list[str]) -> None:
        self._filling = True
        try:
            combo = self.preparation_label
            combo.clear()
            combo.addItem("No syringe", None)
            for label in syringes:
                combo.addItem(f"Syringe {label}", label)
            if site.preparation_label and combo.findData(site.preparation_label) < 0:
                combo.addItem(f"Syringe {site.preparation_label} (removed)", site.preparation_label)
            combo.setCurrentIndex(max(0, combo.findData(site.preparation_label)))
            show_number(self.volume_ml, site.volume_ml or 0.0)
            self.aspiration.setChecked(bool(site.aspiration))
            for name in ("passes", "needles_in", "needles_out", "dwell_minutes"):
                value = getattr(site, name)
                show_number(self.widget(name), -1 if value is None else value)
        finally:
            self._filling = False


class EStimGroup(QGroupBox):
    """Electrical stimulation through the needles: a checkable group (unchecked = none)."""

    edited = Signal(str, object)
    """The user changed the e-stim: (what changed, e.g. "estim.minutes"; the new EStim or None when off)."""

    def __init__(self, errors: FieldErrors, parent: QWidget | None = None) -> None:
        super().__init__("Electrical stimulation", parent)
        self.setObjectName("site_estim")
        self.setCheckable(True)
        self.setChecked(False)
        self._filling = False
        self.spins: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout(self)
        for name, label, maximum, decimals, suffix in ESTIM_FIELDS:
            spin = _spin(maximum, decimals, suffix, 1.0, self)
            spin.setObjectName(f"site_estim.{name}")
            self.spins[name] = spin
            form.addRow(label, errors.cell(f"estim.{name}", spin, self))
            spin.valueChanged.connect(lambda _v, n=name: self._changed(f"estim.{n}"))
        self.attended = QCheckBox("Attended (one-to-one throughout)", self)
        self.attended.setObjectName("site_estim.attended")
        form.addRow("", self.attended)
        self.attended.toggled.connect(lambda _on: self._changed("estim.attended"))
        self.toggled.connect(lambda _on: self._changed("estim"))

    def value(self) -> EStim | None:
        if not self.isChecked():
            return None
        values = {name: spin.value() for name, spin in self.spins.items()}
        return EStim(attended=self.attended.isChecked(), **values)

    def show_estim(self, estim: EStim | None) -> None:
        self._filling = True
        try:
            self.setChecked(estim is not None)
            for name, spin in self.spins.items():
                show_number(spin, getattr(estim, name) if estim else 0.0)
            self.attended.setChecked(bool(estim and estim.attended))
        finally:
            self._filling = False

    def _changed(self, what: str) -> None:
        if not self._filling:
            self.edited.emit(what, self.value())

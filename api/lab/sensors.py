"""TVB's ``tvb.datatypes.sensors``: sensor sets read from tvb-data (or your own ``label x y z`` files)."""
from __future__ import annotations

from brainsweep.engine.projections import Sensors as _Sensors


class Sensors(_Sensors):
    """Sensor labels and locations (mm). ``from_file(name_or_path)`` reads ``label x y z [dx dy dz]`` lines."""

    default_file = "eeg_brainstorm_65.txt"
    _orientations = False

    @classmethod
    def from_file(cls, source_file: str | None = None, **kwargs):
        return super().from_file(source_file or cls.default_file, orientations=cls._orientations,
                                 where=f"{cls.__name__}.from_file")

    def configure(self):
        return self


class SensorsEEG(Sensors):
    """EEG electrodes (TVB's default file ``eeg_brainstorm_65.txt``)."""


class SensorsMEG(Sensors):
    """MEG SQUIDs with orientations (TVB's default file ``meg_brainstorm_276.txt``)."""

    default_file = "meg_brainstorm_276.txt"
    _orientations = True


class SensorsInternal(Sensors):
    """Intracranial (SEEG) contacts (TVB's default file ``seeg_588.txt``)."""

    default_file = "seeg_588.txt"


__all__ = ["Sensors", "SensorsEEG", "SensorsMEG", "SensorsInternal"]

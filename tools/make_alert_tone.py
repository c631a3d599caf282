"""Make the alert tone: a short two-tone chime, 16-bit mono WAV, byte-for-byte repeatable.

Usage::

    .venv/bin/python tools/make_alert_tone.py [--out alpr_desktop/resources/sounds/alert-tone.wav]

Two soft bell notes (E6 then C6, each with a quieter octave partial) with a quick
attack and an exponential decay, 0.75 s at 44 100 Hz: about 66 KB. Nothing random, no
timestamps in the file, so running it again gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "alpr_desktop" / "resources" / "sounds" / "alert-tone.wav"
RATE = 44_100  # what every audio device takes as is (no resampling needed)
#: (start s, frequency Hz, length s) of each note.
NOTES = ((0.0, 1318.51, 0.42), (0.28, 1046.50, 0.47))
LENGTH_S = 0.75
PEAK = 0.6  # of full scale: audible without clipping or startling


def tone() -> np.ndarray:
    """The chime as float samples in [-1, 1]."""
    out = np.zeros(int(RATE * LENGTH_S), dtype=np.float64)
    for start, freq, length in NOTES:
        t = np.arange(int(RATE * length)) / RATE
        attack = np.minimum(1.0, t / 0.008)  # 8 ms: no click at the onset
        envelope = attack * np.exp(-t * 7.0)
        wave_ = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(2 * np.pi * 2 * freq * t)
        note = envelope * wave_
        note[-int(RATE * 0.01) :] *= np.linspace(1.0, 0.0, int(RATE * 0.01))  # no end click
        first = int(RATE * start)
        out[first : first + note.size] += note
    return out / np.abs(out).max() * PEAK


def write(path: Path) -> int:
    """Write the tone to ``path`` as 16-bit mono PCM; its size in bytes."""
    samples = np.round(tone() * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    size = write(args.out)
    print(f"wrote {args.out} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

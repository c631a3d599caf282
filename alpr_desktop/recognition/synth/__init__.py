"""Synthetic US licence plates for training and testing the plate reader.

``generate(count, seed)`` returns crops (BGR) with their plate strings; a seed fixes
the output. See :mod:`.render` for what is drawn and :mod:`.fonts` for the fonts used.
"""

from alpr_desktop.recognition.synth.fonts import FontSet, find_fonts
from alpr_desktop.recognition.synth.render import SynthSample, generate, make_sample, render_plate
from alpr_desktop.recognition.synth.text import ALPHABET, random_plate

__all__ = [
    "ALPHABET",
    "FontSet",
    "SynthSample",
    "find_fonts",
    "generate",
    "make_sample",
    "random_plate",
    "render_plate",
]

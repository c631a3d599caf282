"""Plate recognition: localizer, reader, tracker and pipeline. No widgets here."""

"""Widgets of the Audit page (the access trail's oversight)."""

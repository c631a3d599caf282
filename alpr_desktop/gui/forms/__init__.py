"""Generated Designer forms (``ui_*.py``); regenerate with ``python tools/build_ui.py``."""

"""The investigator's Search and Canvass pages: purpose dialog, result models, detail."""

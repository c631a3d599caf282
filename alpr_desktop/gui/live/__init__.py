"""The Live page's parts: camera tiles, the recent-reads strip and the Qt side of recognition."""

"""Services own the unit of work, check permissions and record every access."""

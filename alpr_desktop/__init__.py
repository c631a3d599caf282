"""alpr-desktop: a workstation for police Automated License Plate Reader programs."""

__version__ = "0.1.0"

"""NDC: an open-source platform for a national data center."""

__version__ = "0.1.0"

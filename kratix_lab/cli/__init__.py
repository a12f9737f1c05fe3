"""The ``kratix-lab`` command (being split by command group: this step only moves cli.py)."""

from kratix_lab.cli.kubectl import CLIError, NotFoundError, build_parser, main, parse_duration

__all__ = ["CLIError", "NotFoundError", "build_parser", "main", "parse_duration"]

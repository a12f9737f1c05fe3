"""kratix-lab: the Kratix request road made visible, testable and operable."""

__version__ = "0.1.0"

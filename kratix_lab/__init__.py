"""kratix-lab: the Kratix request road made visible, testable and operable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kratix_lab.platform.lab import Lab

__all__ = ["Lab", "__version__"]


def __getattr__(name: str) -> Any:
    # `from kratix_lab import Lab` without importing the whole platform on `import kratix_lab`
    if name == "Lab":
        from kratix_lab.platform.lab import Lab

        return Lab
    raise AttributeError(f"module 'kratix_lab' has no attribute {name!r}")

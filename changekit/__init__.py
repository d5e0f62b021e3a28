"""changekit: documented, announced change management and standardised servers."""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("changekit")
"""Decorate a plugin function with this to implement a changekit hook."""

__all__ = ["__version__", "hookimpl"]

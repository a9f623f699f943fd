"""A registry with case-insensitive lookup, aliases and errors that list the registered names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fvcore.common.registry import Registry


class NamedRegistry(Registry):
    """fvcore ``Registry`` whose ``get`` ignores case and names the alternatives on a miss.

    Objects register under their class name (``@REG.register()``) or under explicit names
    (``@REG.register_as("microg", "ava")``), so config values such as ``TRAIN.DATASET: microg``
    resolve without relying on ``str.capitalize()``.
    """

    def register_as(self, *names: str) -> Callable[[Any], Any]:
        """Decorator registering the object under each of ``names``."""

        def decorator(obj: Any) -> Any:
            for name in names:
                self._do_register(name, obj)
            return obj

        return decorator

    def get(self, name: str) -> Any:
        """Return the object registered as ``name`` (case-insensitive).

        Raises:
            KeyError: naming the registry and every registered name.
        """
        lowered = {key.lower(): key for key in self._obj_map}
        key = lowered.get(str(name).lower())
        if key is None:
            available = ", ".join(sorted(self._obj_map)) or "(none)"
            raise KeyError(
                f"No object named {name!r} in the {self._name} registry. Registered: {available}."
            )
        return self._obj_map[key]

    def names(self) -> list[str]:
        """Sorted registered names."""
        return sorted(self._obj_map)

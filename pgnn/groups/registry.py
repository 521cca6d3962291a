"""Group names and aliases, and the in-memory cache of PointGroup objects.

Accepted names: Schoenflies ("Oh", "C3i", "S6", ...), Hermann-Mauguin ("m-3m", "-3", "6/mmm", ...),
case-insensitive, spaces ignored. HM symbols of other settings of the same crystal class
("-4m2", "-62m", "31m", "312", "m2m", ...) name the same group, returned in its standard orientation.
"""

from __future__ import annotations

from functools import lru_cache

from pgnn.groups.elements import GROUP_DATA, GROUP_ORDER

from pgnn.errors import PgnnError

__all__ = ["UnknownGroupError", "canonical_name", "point_group", "list_groups"]


class UnknownGroupError(PgnnError, KeyError):
    """A point-group name that is none of the accepted names."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_EXTRA = {
    "-4m2": "D2d", "-62m": "D3h", "31m": "C3v", "312": "D3", "-31m": "D3d", "2mm": "C2v", "m2m": "C2v",
    "2/m2/m2/m": "D2h", "4/m2/m2/m": "D4h", "-32/m": "D3d", "6/m2/m2/m": "D6h", "2/m-3": "Th",
    "4/m-32/m": "Oh", "-3m2/m": "D3d", "s6": "C3i", "c1h": "Cs",
}


def _key(s: str) -> str:
    return "".join(str(s).split()).lower()


def _build_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, data in GROUP_DATA.items():
        for alias in [name, data["hm"], *data["aliases"]]:
            k = _key(alias)
            if k in table and table[k] != name:
                raise RuntimeError(f"ambiguous group alias {alias!r}")
            table[k] = name
    for alias, name in _EXTRA.items():
        table.setdefault(_key(alias), name)
    return table


_ALIASES = _build_aliases()


def canonical_name(name: str) -> str:
    """Schoenflies name of a group given by any accepted name; KeyError with the valid names otherwise."""
    k = _key(name)
    if k not in _ALIASES:
        raise UnknownGroupError(f"unknown point group {name!r}; known: " + ", ".join(f"{n} ({GROUP_DATA[n]['hm']})" for n in GROUP_ORDER))
    return _ALIASES[k]


def list_groups() -> list[str]:
    """The 32 Schoenflies names in the ITA order of crystal classes (C1 ... Oh)."""
    return list(GROUP_ORDER)


@lru_cache(maxsize=None)
def _point_group(name: str):
    from pgnn.groups import cache
    from pgnn.groups.group import PointGroup

    G = PointGroup(name)
    if cache.enabled() and not cache.load(G):
        try:
            cache.save(G)
        except OSError:  # read-only home, full disk: the in-memory tables are still fine
            pass
    return G


def point_group(name: str):
    """The PointGroup named ``name`` (Schoenflies or Hermann-Mauguin), built once per process
    (tables are computed lazily on first use; see ``cache.py`` for the optional disk cache)."""
    return _point_group(canonical_name(name))

"""Config schemas: every option declared once with its default, types and range; `check_options` validates a
section (a dict) against them, fills the defaults and rejects unknown keys with the valid names.

Used by every section of a run config (`pgnn.training.config`) and by every model family
(`pgnn.models.registry`). Values come from `yaml.safe_load`, so only plain types appear: bool, int, float, str,
list, dict, None; a number option also takes number text such as "1e-3" (which PyYAML reads as a string).
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any, Callable

from pgnn.errors import ConfigError

_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
               dict: "a mapping"}


@dataclass(frozen=True)
class Option:
    """One option: default, accepted types (float accepts int; bool is never an int), None allowed or not,
    an inclusive range [min, max] (`gt`: exclusive lower bound), allowed values, a custom check (value ->
    error text or None) and a one-line doc."""

    default: Any
    types: tuple = ()
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    choices: tuple | None = None
    check: Callable[[Any], str | None] | None = None
    doc: str = ""

    def accepted(self) -> tuple:
        if self.types:
            return self.types
        if self.default is None:
            return ()  # anything
        t = type(self.default)
        return (float,) if t is float else (t,)


def opt(default, *types, **kw) -> Option:
    """Shorthand: opt(8.0, min=0) -> a float option; opt(None, int, min=1) -> an optional integer, ...
    A None default makes the option nullable."""
    return Option(default, tuple(types), nullable=kw.pop("nullable", default is None), **kw)


def defaults_of(options: dict) -> dict:
    """The default values of a schema (nested schemas give nested dicts)."""
    return {k: defaults_of(o) if isinstance(o, dict) else copy.deepcopy(o.default) for k, o in options.items()}


def unknown_key_error(key: str, section: str, valid, renamed: dict | None = None, also: tuple = ()) -> ConfigError:
    """ConfigError for `section.key`: says what it was renamed to, or the closest valid name, and lists them all.
    `also`: (description, names) of further accepted names, searched for the suggestion but not listed."""
    path = f"{section}.{key}" if section else str(key)
    valid = sorted(valid)
    if renamed and key in renamed:
        hint = f" (renamed {renamed[key]!r})"
    else:
        close = difflib.get_close_matches(str(key), valid + sorted(also[1] if also else ()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    where = f"section {section!r}" if section else "the run config"
    more = f", or {also[0]}" if also else ""
    return ConfigError(f"{path}: unknown key in {where}{hint}; valid keys: {', '.join(valid)}{more}", key=path,
                       valid=valid + sorted(also[1] if also else ()))


def _float_text(value: str):
    """float(value) for a number written as text (e.g. "1e-3"), else `value` unchanged."""
    try:
        return float(value)
    except ValueError:
        return value


def check_value(value, option: Option, path: str):
    """`value` checked against `option` (ints given for floats become floats); raises ConfigError naming `path`."""
    if value is None:
        if option.nullable:
            return None
        raise ConfigError(f"{path}: must be set (null is not allowed here)", key=path)
    types = option.accepted()
    if float in types and isinstance(value, str) and str not in types:
        value = _float_text(value)  # PyYAML reads 1e-3 (no dot) as a string
    if types:
        ok = any(isinstance(value, t) and not (t in (int, float) and isinstance(value, bool)) or
                 (t is float and isinstance(value, int) and not isinstance(value, bool)) for t in types)
        if not ok:
            want = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types) + (" or null" if option.nullable else "")
            raise ConfigError(f"{path}: expected {want}, got {type(value).__name__} {value!r}", key=path)
        if float in types and not any(t in types for t in (int, bool)) and isinstance(value, int):
            value = float(value)
    if option.choices is not None and value not in option.choices:
        close = difflib.get_close_matches(str(value), [str(c) for c in option.choices], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{path}: {value!r} is not one of {', '.join(map(str, option.choices))}{hint}",
                          key=path, valid=option.choices)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if option.min is not None and value < option.min:
            raise ConfigError(f"{path}: must be >= {option.min}, got {value!r}", key=path)
        if option.max is not None and value > option.max:
            raise ConfigError(f"{path}: must be <= {option.max}, got {value!r}", key=path)
        if option.gt is not None and not value > option.gt:
            raise ConfigError(f"{path}: must be > {option.gt}, got {value!r}", key=path)
    if option.check is not None:
        problem = option.check(value)
        if problem:
            raise ConfigError(f"{path}: {problem}", key=path)
    return copy.deepcopy(value)


def check_options(values, options: dict, section: str, *, renamed: dict | None = None,
                  extra: tuple[str, Callable[[], set]] | None = None) -> dict:
    """`values` (a mapping or None) validated against `options` ({name: Option | nested schema dict}), defaults
    filled in, in declaration order. Unknown keys raise ConfigError with the valid names, unless `extra` =
    (description, names()) accepts them as pass-through names (names() is called only then), kept unchecked after
    the declared ones.
    `renamed` ({old: new}) turns an unknown old name into a "was renamed" message."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{section or 'config'}: expected a mapping of options, got {type(values).__name__} "
                          f"{values!r}", key=section or None)
    unknown = [k for k in values if k not in options]
    passthrough = set()
    if unknown and extra is not None:
        passthrough = extra[1]()
    for k in unknown:
        if k not in passthrough:
            raise unknown_key_error(k, section, list(options), renamed, (extra[0], passthrough) if extra else ())
    out = {}
    for name, option in options.items():
        path = f"{section}.{name}" if section else name
        if isinstance(option, dict):
            out[name] = check_options(values.get(name), option, path)
        else:
            out[name] = check_value(values[name], option, path) if name in values else copy.deepcopy(option.default)
    for k in unknown:
        out[k] = copy.deepcopy(values[k])
    return out

"""Worlds as values, for the engine's self-check: a fast structural copy, a complete
canonical identity, a deterministic rendering and a field-by-field difference.

- `copy_value(world)` copies the mutable parts (dicts, lists, sets, `attrs.define`
  objects, plain objects) and shares the immutable ones (numbers, strings, tuples and
  frozensets of immutables, `attrs.frozen` values), which is all `copy.deepcopy` would
  do, far faster;
- `canonical(value)` is a hashable value equal for equal states whatever the insertion
  order of their dicts and sets: unlike a world's own `fingerprint()`, it leaves nothing
  out (but the attributes a resource map declares write-only), so it is the reference
  a fingerprint is checked against;
- `show(value)` renders a value with sets and dicts sorted, so that messages never
  depend on PYTHONHASHSEED;
- `differences(a, b)` lists where two values differ, as `world.accounts['alice'].owners:
  {'bob'} in one, {} in the other`.
"""

from __future__ import annotations

import copy
import enum
import types
from collections.abc import Hashable, Iterable
from typing import Any

import attrs
from attr._make import (
    _frozen_setattrs,  # how attrs marks a frozen class (no public API)
)

_ATOMS = frozenset({int, float, complex, str, bytes, bool, type(None), range,
                    types.FunctionType, types.BuiltinFunctionType, types.MethodType, type})
_frozen_classes: dict[type, bool] = {}


#: the classes whose every instance can be shared (atoms, enums, frozen attrs classes), as
#: met: the fast path of `is_immutable` and `copy_value`, which a search calls at every step
_shared: set[type] = set(_ATOMS)
_field_names: dict[type, tuple[str, ...]] = {}  # an attrs class's fields, by name


def is_frozen_attrs(cls: type) -> bool:
    found = _frozen_classes.get(cls)
    if found is None:
        found = _frozen_classes[cls] = attrs.has(cls) and cls.__setattr__ is _frozen_setattrs
        if found:
            _shared.add(cls)
    return found


def is_immutable(value: Any) -> bool:
    """Whether `value` can be shared between copies: it can never change in place."""
    cls = type(value)
    if cls in _shared:
        return True
    if isinstance(value, enum.Enum):
        _shared.add(cls)
        return True
    if cls is tuple or cls is frozenset:
        return all(is_immutable(v) for v in value)
    return is_frozen_attrs(cls)


def copy_value(value: Any) -> Any:
    """A copy that shares what is immutable and copies what is not (see the module
    docstring)."""
    cls = type(value)
    if cls in _shared:
        return value
    if cls is dict:
        if _shared.issuperset(map(type, value.values())):  # all shared: a shallow copy, in C
            return value.copy()
        return {k: copy_value(v) for k, v in value.items()}
    if cls is set:
        if _shared.issuperset(map(type, value)):
            return value.copy()
        return {copy_value(v) for v in value}
    if cls is list:
        return [copy_value(v) for v in value]
    if is_immutable(value):
        return value
    if attrs.has(cls):
        new = object.__new__(cls)
        names = _field_names.get(cls)
        if names is None:
            names = _field_names[cls] = tuple(field.name for field in attrs.fields(cls))
        for name in names:
            object.__setattr__(new, name, copy_value(getattr(value, name)))
        return new
    if cls is tuple:
        return tuple(copy_value(v) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, BaseException):
        new = object.__new__(cls)
        new.__dict__.update({k: copy_value(v) for k, v in vars(value).items()})
        return new
    return copy.deepcopy(value)


def canonical(value: Any, leave_out: Iterable[str] = ()) -> Hashable:
    """A complete, hashable, order-independent identity of `value`; top-level attributes
    named in `leave_out` (write-only bookkeeping) are skipped."""
    skipped = frozenset(leave_out)
    cls = type(value)
    if skipped and attrs.has(cls):
        return (cls.__qualname__,) + tuple(
            (f.name, _canonical(getattr(value, f.name))) for f in attrs.fields(cls) if f.name not in skipped
        )
    return _canonical(value)


def _canonical(value: Any) -> Hashable:
    cls = type(value)
    if cls in _ATOMS:
        return value
    if cls is dict:
        return ("dict", frozenset((k, _entry(v)) for k, v in value.items()))
    if cls is set:
        return ("set", frozenset(_canonical(v) for v in value))
    if cls is list:
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, BaseException):
        return ("error", cls.__name__, str(value))
    if is_immutable(value):  # equal exactly when equal as values
        try:
            hash(value)
            return value
        except TypeError:  # a frozen value holding a mutable one
            pass
    if cls is tuple:
        return ("tuple", tuple(_canonical(v) for v in value))
    if attrs.has(cls):
        return (cls.__qualname__,) + tuple((f.name, _canonical(getattr(value, f.name))) for f in attrs.fields(cls))
    if hasattr(value, "__dict__"):
        return (cls.__qualname__, _canonical(dict(vars(value))))
    try:
        hash(value)
        return value
    except TypeError:
        return ("repr", repr(value))


def _entry(value: Any) -> Hashable:
    """`_canonical` of a dict's value, faster for the usual atoms and frozen values (a
    dict's keys are hashable, and compared by value already)."""
    cls = type(value)
    if cls in _ATOMS or is_frozen_attrs(cls):
        try:
            hash(value)
            return value
        except TypeError:
            pass
    return _canonical(value)


def show(value: Any, limit: int = 160) -> str:
    """`value` rendered deterministically (sets and dicts sorted), cut at `limit`."""
    text = _show(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    cls = type(value)
    if cls is str:
        return repr(value)
    if cls in _ATOMS or isinstance(value, enum.Enum):
        return repr(value)
    if isinstance(value, BaseException):
        return f"{cls.__name__}({str(value)!r})"
    if cls is dict:
        items = sorted((_show(k), _show(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if cls is set or cls is frozenset:
        return "{" + ", ".join(sorted(_show(v) for v in value)) + "}"
    if cls is tuple:
        inner = ", ".join(_show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if cls is list:
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if attrs.has(cls):
        inner = ", ".join(f"{f.name}={_show(getattr(value, f.name))}" for f in attrs.fields(cls))
        return f"{cls.__name__}({inner})"
    return repr(value)


def differing_attributes(a: Any, b: Any, leave_out: Iterable[str] = ()) -> tuple[str, ...]:
    """The names of the attributes in which two worlds of one attrs class differ."""
    skipped = frozenset(leave_out)
    if type(a) is not type(b) or not attrs.has(type(a)):
        return ()
    return tuple(f.name for f in attrs.fields(type(a))
                 if f.name not in skipped and _canonical(getattr(a, f.name)) != _canonical(getattr(b, f.name)))


def differences(a: Any, b: Any, where: str = "world", leave_out: Iterable[str] = (), limit: int = 6) -> list[str]:
    """Where `a` and `b` differ, one line each ("<where>: X in one, Y in the other"),
    going into attrs fields and dict entries; at most `limit` lines."""
    out: list[str] = []
    _diff(a, b, where, frozenset(leave_out), out)
    if len(out) > limit:
        out = out[:limit] + [f"... and {len(out) - limit} more differences"]
    return out


def _diff(a: Any, b: Any, where: str, skipped: frozenset[str], out: list[str]) -> None:
    if _canonical(a) == _canonical(b):
        return
    cls = type(a)
    if cls is type(b) and attrs.has(cls):
        for f in attrs.fields(cls):
            if f.name not in skipped:
                _diff(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}", frozenset(), out)
        return
    if cls is dict and type(b) is dict:
        for key in sorted(set(a) | set(b), key=_show):
            inner = f"{where}[{_show(key)}]"
            if key not in b:
                out.append(f"{inner}: {show(a[key])} in one, absent in the other")
            elif key not in a:
                out.append(f"{inner}: absent in one, {show(b[key])} in the other")
            else:
                _diff(a[key], b[key], inner, frozenset(), out)
        return
    out.append(f"{where}: {show(a)} in one, {show(b)} in the other")

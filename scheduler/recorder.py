"""A world that records every attribute a step reads and writes, in footprint terms.

`recording(world, resource_map)` returns a proxy for `world` and the `Recorder` that
fills as code uses the proxy. The proxy stands for the world wherever the model passes
it: its own methods run bound to the proxy (so what they touch is recorded too), its
dicts, sets and lists come back as recording views, and mutable values inside an entry
(an account object inside `accounts`) as recording objects whose attribute reads and
writes count as reads and writes of that entry. Immutable values (numbers, strings, tuples,
frozensets, `attrs.frozen` values) are handed out as they are: they cannot be changed in
place. Whatever the recorder sees becomes an `Access`: read or write, the resource (see
`scheduler.resources`), the world attribute it went through, and where, in Python's
words (`world.accounts['alice'].frozen`).

What it cannot see: state outside the world (globals, closures), and reads made through
`object.__getattribute__` or C code handed the underlying dict. A proxy is for one
check on a copy of a world; never keep it in the world.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import attrs
from unpack_race.scheduler.resources import (
    All,
    Constant,
    Keyed,
    Resource,
    ResourceMap,
    Scalar,
    WriteOnly,
    state_attributes,
)
from unpack_race.scheduler.world_values import is_immutable, show

_MISSING = object()


@attrs.frozen
class Access:
    """One read or write. `resource` is None for attributes that are no resource (a
    constant, write-only bookkeeping, or one the resource map does not mention)."""

    write: bool
    resource: Resource | None
    attribute: str
    where: str


class Recorder:
    """The accesses made through one recording proxy, in order."""

    def __init__(self) -> None:
        self.accesses: list[Access] = []

    def note(self, write: bool, resource: Resource | None, attribute: str, where: str) -> None:
        self.accesses.append(Access(write, resource, attribute, where))


def recording(world: Any, resource_map: ResourceMap) -> tuple[Any, Recorder]:
    """A recording proxy for `world` and its recorder."""
    recorder = Recorder()
    return WorldProxy(world, resource_map, recorder), recorder


def unwrap(value: Any) -> Any:
    """The real value behind a recording view or object (for storing into the world)."""
    if isinstance(value, (_View, RecordingObject, WorldProxy)):
        return object.__getattribute__(value, "_target")
    return value


def _bound(owner: Any, target: Any, name: str) -> Any:
    """A method or property of `target`'s class, run with `owner` (the proxy) as self;
    _MISSING if `name` is none of those."""
    static = inspect.getattr_static(type(target), name, _MISSING)
    if isinstance(static, types.FunctionType):
        return types.MethodType(static, owner)
    if isinstance(static, property):
        return static.fget(owner)
    if isinstance(static, (staticmethod, classmethod)):
        return getattr(type(target), name)
    return _MISSING


class WorldProxy:
    """The world, recording (see the module docstring)."""

    __slots__ = ("_target", "_map", "_recorder", "_state")

    def __init__(self, world: Any, resource_map: ResourceMap, recorder: Recorder) -> None:
        object.__setattr__(self, "_target", world)
        object.__setattr__(self, "_map", resource_map)
        object.__setattr__(self, "_recorder", recorder)
        object.__setattr__(self, "_state", frozenset(state_attributes(world)))

    def __getattribute__(self, name: str) -> Any:
        world = object.__getattribute__(self, "_target")
        if name == "__class__":
            return type(world)
        recorder = object.__getattribute__(self, "_recorder")
        spec = object.__getattribute__(self, "_map").spec(name)
        if spec is None and name not in object.__getattribute__(self, "_state"):
            method = _bound(self, world, name)
            return getattr(world, name) if method is _MISSING else method
        return _attribute_view(spec, name, getattr(world, name), recorder)

    def __setattr__(self, name: str, value: Any) -> None:
        world = object.__getattribute__(self, "_target")
        recorder = object.__getattribute__(self, "_recorder")
        spec = object.__getattribute__(self, "_map").spec(name)
        if isinstance(spec, Keyed):
            recorder.note(True, All(name), name, f"world.{name} = ...")
        elif isinstance(spec, Scalar):
            recorder.note(True, spec.resource, name, f"world.{name}")
        else:
            recorder.note(True, None, name, f"world.{name}")
        setattr(world, name, unwrap(value))

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"a step deletes world.{name}; worlds keep their attributes")

    def __repr__(self) -> str:
        return f"<{type(object.__getattribute__(self, '_target')).__name__}, recording>"


def _attribute_view(spec, name: str, value: Any, recorder: Recorder) -> Any:
    where = f"world.{name}"
    if isinstance(spec, Keyed):
        if isinstance(value, (dict, set, list)):
            return _container(value, recorder, name, spec.item, All(name), where)
        recorder.note(False, All(name), name, where)  # an immutable collection, read whole
        return value
    if isinstance(spec, Scalar):
        if is_immutable(value):
            recorder.note(False, spec.resource, name, where)
            return value
        resource = spec.resource
        return wrap(value, recorder, name, resource, where)
    if isinstance(spec, Constant):  # reading it is free; a write is noted (and is a bug)
        return value if is_immutable(value) else wrap(value, recorder, name, None, where)
    if isinstance(spec, WriteOnly) and not is_immutable(value):
        return wrap(value, recorder, name, None, where)
    recorder.note(False, None, name, where)  # write-only, or not in the resource map
    return value if is_immutable(value) else wrap(value, recorder, name, None, where)


def wrap(value: Any, recorder: Recorder, attribute: str, resource: Resource | None, where: str) -> Any:
    """A mutable value that is one resource as a whole, recording; immutables as they are."""
    if is_immutable(value):
        return value
    if isinstance(value, (dict, set, list)):
        return _container(value, recorder, attribute, lambda _key: resource, resource, where)
    return RecordingObject(value, recorder, attribute, resource, where)


def _container(value, recorder, attribute, item, everything, where):
    cls = _DictView if isinstance(value, dict) else _SetView if isinstance(value, set) else _ListView
    return cls(value, recorder, attribute, item, everything, where)


class RecordingObject:
    """A mutable object inside a world entry: reading or setting any of its attributes
    reads or writes that entry's resource."""

    __slots__ = ("_target", "_recorder", "_attribute", "_resource", "_where")

    def __init__(self, target, recorder, attribute, resource, where) -> None:
        for slot, value in zip(RecordingObject.__slots__, (target, recorder, attribute, resource, where)):
            object.__setattr__(self, slot, value)

    def __getattribute__(self, name: str) -> Any:
        target = object.__getattribute__(self, "_target")
        if name == "__class__":
            return type(target)
        if name not in state_attributes(target):
            method = _bound(self, target, name)
            return getattr(target, name) if method is _MISSING else method
        recorder, attribute, resource, where = (
            object.__getattribute__(self, s) for s in ("_recorder", "_attribute", "_resource", "_where"))
        recorder.note(False, resource, attribute, f"{where}.{name}")
        return wrap(getattr(target, name), recorder, attribute, resource, f"{where}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        target = object.__getattribute__(self, "_target")
        recorder, attribute, resource, where = (
            object.__getattribute__(self, s) for s in ("_recorder", "_attribute", "_resource", "_where"))
        recorder.note(True, resource, attribute, f"{where}.{name}")
        setattr(target, name, unwrap(value))

    def __eq__(self, other: object) -> bool:
        _whole(self)
        return object.__getattribute__(self, "_target") == unwrap(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        _whole(self)
        return repr(object.__getattribute__(self, "_target"))


def _whole(obj: RecordingObject) -> None:
    """Note a read of the whole object (compared or printed)."""
    recorder, attribute, resource, where = (
        object.__getattribute__(obj, s) for s in ("_recorder", "_attribute", "_resource", "_where"))
    recorder.note(False, resource, attribute, where)


class _View:
    """Base of the recording views of a dict, set or list attribute. `item(key)` is the
    resource of one entry, `everything` that of the whole (for iteration and length)."""

    __slots__ = ("_target", "_recorder", "_attribute", "_item", "_everything", "_where")

    #: methods (beyond those written out) that only read the whole / only write it;
    #: any other method is taken to do both
    reading: frozenset[str] = frozenset()
    writing: frozenset[str] = frozenset({"update", "clear"})

    def __init__(self, target, recorder: Recorder, attribute: str, item: Callable[[Any], Resource | None],
                 everything: Resource | None, where: str) -> None:
        self._target, self._recorder, self._attribute = target, recorder, attribute
        self._item, self._everything, self._where = item, everything, where

    def _read(self, key) -> None:
        self._recorder.note(False, self._item(key), self._attribute, f"{self._where}[{show(key)}]")

    def _write(self, key) -> None:
        self._recorder.note(True, self._item(key), self._attribute, f"{self._where}[{show(key)}]")

    def _read_all(self, how: str) -> None:
        self._recorder.note(False, self._everything, self._attribute, f"{self._where}{how}")

    def _write_all(self, how: str) -> None:
        self._recorder.note(True, self._everything, self._attribute, f"{self._where}{how}")

    def _wrap(self, key, value):
        return wrap(value, self._recorder, self._attribute, self._item(key), f"{self._where}[{show(key)}]")

    def __getattr__(self, name: str) -> Any:  # the methods not written out below
        method = getattr(self._target, name)
        if name not in self.writing:
            self._read_all(f".{name}()")
        if name not in self.reading:
            self._write_all(f".{name}()")
        return method

    def __iter__(self):
        self._read_all(" (iterated)")
        return iter(list(self._target))

    def __len__(self) -> int:
        self._read_all(" (its length)")
        return len(self._target)

    def __bool__(self) -> bool:
        self._read_all(" (is it empty?)")
        return bool(self._target)

    def __eq__(self, other: object) -> bool:
        self._read_all(" (compared)")
        return self._target == unwrap(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._read_all(" (printed)")
        return repr(self._target)


class _DictView(_View):
    __slots__ = ()
    reading = frozenset({"copy"})

    def __getitem__(self, key):
        self._read(key)
        return self._wrap(key, self._target[key])

    def get(self, key, default=None):
        self._read(key)
        return self._wrap(key, self._target[key]) if key in self._target else default

    def __contains__(self, key) -> bool:
        self._read(key)
        return key in self._target

    def __setitem__(self, key, value) -> None:
        self._write(key)
        self._target[key] = unwrap(value)

    def __delitem__(self, key) -> None:
        self._write(key)
        del self._target[key]

    def pop(self, key, *default):
        self._write(key)
        return self._target.pop(key, *default)

    def setdefault(self, key, default=None):
        self._read(key)
        if key not in self._target:
            self._write(key)
            self._target[key] = unwrap(default)
        return self._wrap(key, self._target[key])

    def keys(self):
        self._read_all(".keys()")
        return list(self._target)

    def values(self):
        self._read_all(".values()")
        return [self._wrap(k, v) for k, v in self._target.items()]

    def items(self):
        self._read_all(".items()")
        return [(k, self._wrap(k, v)) for k, v in self._target.items()]


class _SetView(_View):
    __slots__ = ()
    reading = frozenset({"copy", "issubset", "issuperset", "isdisjoint", "union", "intersection",
                         "difference", "symmetric_difference"})

    def __contains__(self, key) -> bool:
        self._read(key)
        return key in self._target

    def add(self, key) -> None:
        self._write(key)
        self._target.add(key)

    def discard(self, key) -> None:
        self._write(key)
        self._target.discard(key)

    def remove(self, key) -> None:
        self._write(key)
        self._target.remove(key)

    def __or__(self, other):
        self._read_all(" | ...")
        return self._target | unwrap(other)

    def __and__(self, other):
        self._read_all(" & ...")
        return self._target & unwrap(other)

    def __sub__(self, other):
        self._read_all(" - ...")
        return self._target - unwrap(other)


class _ListView(_View):
    __slots__ = ()
    reading = frozenset({"copy", "index", "count"})
    writing = frozenset({"append", "extend", "insert", "clear"})

    def __getitem__(self, index):
        if isinstance(index, slice):
            self._read_all(f"[{index.start}:{index.stop}]")
            return self._target[index]
        self._read(index)
        return self._wrap(index, self._target[index])

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            self._write_all("[...] = ...")
        else:
            self._write(index)
        self._target[index] = unwrap(value)

    def __contains__(self, value) -> bool:
        self._read_all(" (searched)")
        return value in self._target

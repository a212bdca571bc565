"""State keys that are the same in every process: a stable digest of a state, for a
search whose visited set is split across processes (scheduler/parallel_search.py).

The serial searches key a state by the world's fingerprint plus each actor's interned
history id (kernel.HistoryInterner). Those ids are small integers handed out in the order
histories are met, so they differ from one process to the next, and `hash()` of a string
is salted per process (PYTHONHASHSEED). Here every value is written in one canonical text
(`encode`: strings length-prefixed, sets and dicts sorted by their encodings, attrs values
by class and fields, enums by name), and hashed with BLAKE2b (RFC 7693). An actor's
history is digested as a chain, digest(parent history's digest + encode(effect, outcome)),
kept beside its interned id by `DigestInterner`, so that the digest of a state costs one
encoding of its fingerprint, not of its whole past. Two states have the same digest
exactly when their serial keys are equal (up to a 2**-128 collision of BLAKE2b-128).
"""

from __future__ import annotations

import enum
import hashlib
from typing import Any

import attrs
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Step, _outcome_key
from unpack_race.scheduler.world_values import show

#: bytes of a digest (BLAKE2b-128)
DIGEST_SIZE = 16

_fields: dict[type, tuple[str, ...]] = {}


def encode(value: Any) -> str:
    """`value` as a canonical text: equal values give equal texts in every process."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    cls = type(value)
    if cls is str:
        out.append(f"s{len(value)}:")
        out.append(value)
    elif cls is int:
        out.append(f"i{value};")
    elif cls is bool:
        out.append("T" if value else "F")
    elif value is None:
        out.append("N")
    elif cls is tuple or cls is list:
        out.append("(")
        for item in value:
            _encode(item, out)
        out.append(")")
    elif cls is frozenset or cls is set:
        out.append("{")
        out.extend(sorted(encode(item) for item in value))
        out.append("}")
    elif cls is dict:
        out.append("<")
        out.extend(sorted(encode(k) + encode(v) for k, v in value.items()))
        out.append(">")
    elif cls is float:
        out.append(f"f{value!r};")
    elif cls is bytes:
        out.append(f"b{value.hex()};")
    elif isinstance(value, enum.Enum):
        out.append(f"e{cls.__qualname__}.{value.name};")
    elif attrs.has(cls):
        names = _fields.get(cls)
        if names is None:
            names = _fields[cls] = tuple(f.name for f in attrs.fields(cls))
        out.append(f"a{cls.__module__}.{cls.__qualname__}(")
        for name in names:
            _encode(getattr(value, name), out)
        out.append(")")
    elif isinstance(value, BaseException):
        out.append(f"x{cls.__qualname__}")
        _encode(str(value), out)
    else:  # a plain object: its deterministic rendering (sets and dicts sorted)
        out.append(f"r{cls.__qualname__}")
        _encode(show(value, limit=10**9), out)


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_SIZE).digest()


class DigestInterner(HistoryInterner):
    """A `HistoryInterner` that also keeps, for every interned history, a digest of it
    that is the same in every process (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.digests: list[bytes] = [b""]  # by interned id; 0 is the empty history
        self._by_digest: dict[bytes, int] = {b"": 0}

    def extend(self, history: int, step: Step) -> int:
        found = super().extend(history, step)
        if found == len(self.digests):
            step_text = encode((step.effect, _outcome_key(step)))
            self.digests.append(digest(self.digests[history].hex() + step_text))
            self._by_digest.setdefault(self.digests[found], found)
        return found

    def adopt(self, history: bytes) -> int:
        """The interned id of the history whose digest is `history` (met in another
        process): the id it has here, or a new one that stands for it."""
        found = self._by_digest.get(history)
        if found is None:
            found = self._ids[("adopted", history)] = len(self._ids) + 1  # never a (history, step) key
            self.digests.append(history)
            self._by_digest[history] = found
        return found


#: the encodings of the parts of fingerprints met lately (a fingerprint is hashable, and
#: most of its parts are equal from one state to the next); cleared when it grows past
#: MEMO_SIZE entries
_memo: dict[Any, str] = {}
MEMO_SIZE = 200_000


def encode_fingerprint(fingerprint: Any) -> str:
    """`encode(fingerprint)`, each part of a tuple fingerprint memoised by value."""
    if type(fingerprint) is not tuple:
        return encode(fingerprint)
    if len(_memo) > MEMO_SIZE:
        _memo.clear()
    parts = ["("]
    for part in fingerprint:
        text = _memo.get((type(part), part))
        if text is None:
            text = _memo[(type(part), part)] = encode(part)
        parts.append(text)
    parts.append(")")
    return "".join(parts)


def state_digest(execution: Execution, interner: DigestInterner) -> bytes:
    """The stable digest of the state `execution` is in: of the world's fingerprint and
    every actor's history digest (the serial key, `Execution.state_key`, made portable)."""
    histories = "".join(interner.digests[a.history].hex() + "," for a in execution.actors)
    return digest(encode_fingerprint(execution.world.fingerprint()) + "|" + histories)


def owner_of(key: bytes, owners: int) -> int:
    """The index of the owner, among `owners`, of the state whose digest is `key`."""
    return int.from_bytes(key[:8], "big") % owners


__all__ = ["DIGEST_SIZE", "DigestInterner", "digest", "encode", "owner_of", "state_digest"]

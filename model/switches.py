"""PR 10187's two halves, as the switch the metadata snapshotter reads
(`World.lease_on_exists`, model/snapshotter.py).

containerd PR 10187 ("Update metadata snapshotter to lease on exists", c7fb8a925,
core/metadata/snapshot.go) changed two functions, and each can be on or off alone:

- `prepare`: createSnapshot's first transaction, when the snapshot.ref target or the key
  already exists, calls addSnapshotLease and commits before returning AlreadyExists
  (before it, the AlreadyExists came back from inside the transaction, which rolled back);
- `commit`: Commit calls addSnapshotLease(name) before CreateBucket(name), and on
  ErrBucketExists commits the transaction before returning AlreadyExists (before it, the
  lease came after CreateBucket, so the AlreadyExists path leased nothing).

createSnapshot's second transaction is in neither half: it has leased the key before
CreateBucket and committed on ErrBucketExists since 526c0db69 (PR 3793, 2019), as
`c7fb8a925^:core/metadata/snapshot.go` shows; PR 10187 did not touch it.

A variant (model/variants.py) sets both halves together unless it says otherwise: `True`
and `False` stand for both on and both off, so a variant file written before the split
still means what it meant.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class LeaseOnExists:
    """Which halves of PR 10187 the metadata snapshotter has."""

    prepare: bool  # createSnapshot T1 leases an existing target or key
    commit: bool  # Commit leases an existing name

    @classmethod
    def of(cls, value: LeaseOnExists | bool) -> LeaseOnExists:
        """A LeaseOnExists as it is, or a bool for both halves alike (PR 10187 whole, or none of it)."""
        if isinstance(value, LeaseOnExists):
            return value
        if isinstance(value, bool):
            return cls(value, value)
        raise TypeError(f"lease_on_exists must be True, False or a LeaseOnExists(prepare=..., commit=...), "
                        f"got {value!r}")

    def __bool__(self) -> bool:
        raise TypeError("PR 10187 has two halves: ask for lease_on_exists.prepare (createSnapshot's T1) or "
                        "lease_on_exists.commit (Commit), not for the pair as one truth value")

    @property
    def whole(self) -> bool:
        """Both halves: PR 10187 as merged."""
        return self.prepare and self.commit

    def text(self) -> str:
        """`PR 10187: Prepare half on, Commit half off`, for listings."""
        def on(flag: bool) -> str:
            return "on" if flag else "off"
        return f"PR 10187: Prepare half {on(self.prepare)}, Commit half {on(self.commit)}"


__all__ = ["LeaseOnExists"]

"""containerd's error kinds and texts (github.com/containerd/errdefs, as used in
core/metadata/snapshot.go and core/unpack/unpacker.go).

Go wraps sentinel errors with `fmt.Errorf("...: %w", errdefs.ErrNotFound)`, so the text
ends with the sentinel's own text ("not found", "already exists", ...), and `errors.Is`
still sees the kind after further wrapping. `ContainerdError.wrap` does the same here:
the wrapped error keeps its class and prefixes its message.
"""

from __future__ import annotations

from unpack_race.scheduler.effect import Failure


class ContainerdError(Failure):
    """An error as containerd prints it; the class is its errdefs kind."""

    sentinel = "unknown"

    def __init__(self, message: str, *, wrapped: bool = False) -> None:
        self.message = message if wrapped else f"{message}: {self.sentinel}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def wrap(self, prefix: str) -> ContainerdError:
        """fmt.Errorf("<prefix>: %w", err): same kind, longer text."""
        return type(self)(f"{prefix}: {self.message}", wrapped=True)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.message == self.message

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.message))


class NotFound(ContainerdError):
    sentinel = "not found"


class AlreadyExists(ContainerdError):
    sentinel = "already exists"

    #: set by the metadata store when it added the existing object to the caller's
    #: lease before returning this error (PR 10187); read by narrations only.
    leased = False


class FailedPrecondition(ContainerdError):
    sentinel = "failed precondition"


class InvalidArgument(ContainerdError):
    sentinel = "invalid argument"


class Unknown(ContainerdError):
    sentinel = "unknown"


class Canceled(ContainerdError):
    """context.Canceled: Go's text is just "context canceled"."""

    sentinel = "context canceled"

    def __init__(self, message: str = "", *, wrapped: bool = False) -> None:
        if not message:
            message, wrapped = "context canceled", True
        super().__init__(message, wrapped=wrapped)

"""unpack-race: a deterministic concurrency simulator and model checker for containerd's
unpack vs. garbage-collection race (containerd issue 3787).

The repository's top-level folders are this package's subpackages:
`unpack_race.model` (containerd as effects and actors), `unpack_race.scheduler` (the
generic engine), `unpack_race.scenarios` (named configurations and the command line) and
`unpack_race.reports` (text, tables and figures).
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("unpack-race")
except _metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

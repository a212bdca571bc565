"""unpack-race: a deterministic concurrency simulator and model checker for containerd's
unpack vs. garbage-collection race (containerd issue 3787).

The repository's top-level folders are this package's subpackages:
`unpack_race.model` (containerd as effects and actors), `unpack_race.scheduler` (the
generic engine), `unpack_race.scenarios` (named configurations and the command line) and
`unpack_race.reports` (text, tables and figures).
"""


def __getattr__(name: str) -> str:
    # `__version__` is looked up when first asked for, not on import: the command line's
    # entry (__main__.entry) catches Ctrl-C only once this package is imported, so the
    # package's own import is kept to nothing
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("unpack-race")
    except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
        version = "0+unknown"
    globals()["__version__"] = version
    return version

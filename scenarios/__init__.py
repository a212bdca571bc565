"""Named configurations (which actors, which variant, which bounds, which properties,
and the verdict we expect), the regression corpus and the bench; the library facade
(`scenarios.api`: check, compare, replay, minimize, explain, returning data); and the
`unpack-race` command line (`scenarios.cli`, one module per command in
`scenarios.commands`)."""

"""Named configurations (which actors, which variant, which bounds, which properties,
and the verdict we expect) and the `unpack-race` command line."""

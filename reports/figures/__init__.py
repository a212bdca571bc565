"""Pictures of runs and searches, drawn with matplotlib (no display needed: the Agg and
SVG backends), saved with deterministic bytes by `saving.save_figure`."""

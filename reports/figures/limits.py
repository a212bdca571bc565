"""How much a picture can show legibly, in one place that imports nothing heavy (the
command line reads these when it builds its parser, before any matplotlib is needed):
past them a picture is refused with one line rather than drawn as a smudge."""

#: the most steps a swimlane draws (reports/figures/swimlane.py)
MAX_STEPS = 400
#: the most states a state graph draws by default (reports/figures/state_graph.py; --max-states):
#: enough for the canonical 3787 schedule's, 2,449 states under the GC scheduler
MAX_STATES = 3_000

"""A swimlane of one run: one lane per actor (program order, top to bottom), one box per
step in the column of its index, labelled with the effect's kind and its first argument
(the model's own words: Stat sha256:c1, PrepareT1, GcCollect). A failed step is filled
red; the violating step has a thick dark border; the racing pair is outlined in orange
and its happens-before path drawn as arrows between boxes; the caller's marks (at which
step the pull was cancelled, a lease deleted...) are dashed vertical lines across every
lane, labelled at the top. A crash (scheduler.crashes) is a dark box labelled "crashes" in
the lane of the actor it stopped, with its own mark ("pull-1 crashes") on the time line.
The layout depends on the run alone, so the figure's bytes do too (saving.figure_bytes).
Each box carries the SVG id `step-K`, for a page to highlight.

Nothing here knows containerd: what else is worth a mark is the caller's to say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: never a display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

from unpack_race.reports.figures.limits import MAX_STEPS  # noqa: E402
from unpack_race.scheduler.crashes import Crash, owner  # noqa: E402
from unpack_race.scheduler.kernel import Step  # noqa: E402
from unpack_race.scheduler.run import Run  # noqa: E402

COLUMN, LANE, MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM = 0.34, 1.45, 1.3, 1.05, 0.75  # inches
LABEL_CHARS = 28
OK_FILL, FAILED_FILL, RACING_EDGE, VIOLATION_EDGE, PATH_COLOUR, MARK_COLOUR, CRASH_FILL = (
    "#dbe8f6", "#f4b6b0", "#e8820c", "#8b0000", "#e8820c", "#555555", "#9a9a9a",
)

LEGEND = ("red fill: a failed step; dark red border: the violating step; orange: the racing pair and its "
          "happens-before path; dashed line: an event on the time line")
#: the legend of a run with a crash in it
CRASH_LEGEND = LEGEND.replace("a failed step;", "a failed step; grey: a crash;")


class TooLargeToDraw(ValueError):
    """The run has more steps than a swimlane can show legibly."""


def step_id(index: int) -> str:
    """The SVG id of step `index`'s box."""
    return f"step-{index}"


def step_label(step: Step) -> str:
    """The box's label: the effect's kind, then its first argument, cut to fit ("crashes"
    for a crash)."""
    if type(step.effect) is Crash:
        return "crashes"
    kind = type(step.effect).__name__
    args = step.effect.args()
    first = next((str(v) for v in args.values() if isinstance(v, (str, int)) and str(v)), "")
    text = f"{kind} {first}".strip()
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def swimlane(run: Run, *, racing: tuple[int, int] | None = None, path: Sequence[int] = (),
             violating: int | None = None, marks: Mapping[int, str] | None = None,
             title: str | None = None) -> Figure:
    """The swimlane of `run` (see the module docstring). `racing` is the racing pair's two
    step indices, `path` the steps of its happens-before path in order, `violating` the
    step after which the property failed, `marks` step index -> a word for the time line.
    Raises TooLargeToDraw beyond MAX_STEPS steps."""
    steps = run.steps
    if len(steps) > MAX_STEPS:
        raise TooLargeToDraw(f"{len(steps)} steps are too many to draw as a swimlane (at most {MAX_STEPS})")
    actors = list(run.actors)
    lane = {name: k for k, name in enumerate(actors)}
    lane.update({s.actor: lane[owner(s.actor, s.effect)] for s in steps if type(s.effect) is Crash})
    marks = {**{s.index: f"{s.effect.actor} crashes" for s in steps if type(s.effect) is Crash}, **(marks or {})}
    width = MARGIN_LEFT + COLUMN * max(len(steps), 1) + 0.3
    height = MARGIN_TOP + LANE * len(actors) + MARGIN_BOTTOM
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((MARGIN_LEFT / width, MARGIN_BOTTOM / height, (width - MARGIN_LEFT - 0.3) / width,
                       (height - MARGIN_TOP - MARGIN_BOTTOM) / height))
    ax.set_xlim(-0.5, max(len(steps), 1) - 0.5)
    ax.set_ylim(len(actors) - 0.5, -0.5)
    ax.set_yticks(range(len(actors)), actors, fontsize=9)
    ax.set_xticks([s.index for s in steps if s.index % 5 == 0] or [0])
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("step", fontsize=8)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    for k in range(len(actors)):
        ax.axhline(k, color="#eeeeee", linewidth=0.8, zorder=0)
    for index, word in sorted((marks or {}).items()):
        ax.axvline(index, color=MARK_COLOUR, linestyle="--", linewidth=0.8, zorder=1)
        ax.text(index, -0.5, word, rotation=90, fontsize=6.5, color=MARK_COLOUR, ha="center", va="bottom",
                clip_on=False)
    edge = dict.fromkeys(racing or (), RACING_EDGE)
    for step in steps:
        y = lane[step.actor]
        colour = edge.get(step.index, "#4a6a8a")
        thick = 2.2 if step.index in edge else 0.6
        if step.index == violating:
            colour, thick = VIOLATION_EDGE, 2.6
        fill = CRASH_FILL if type(step.effect) is Crash else OK_FILL if step.ok else FAILED_FILL
        box = Rectangle((step.index - 0.42, y - 0.42), 0.84, 0.84, facecolor=fill,
                        edgecolor=colour, linewidth=thick, zorder=2)
        box.set_gid(step_id(step.index))
        ax.add_patch(box)
        ax.text(step.index, y, step_label(step), rotation=90, fontsize=5.6, ha="center", va="center", zorder=3)
    for a, b in zip(path, path[1:]):
        ax.add_patch(FancyArrowPatch((a, lane[steps[a].actor]), (b, lane[steps[b].actor]), arrowstyle="-|>",
                                     mutation_scale=9, color=PATH_COLOUR, linewidth=1.4, zorder=4,
                                     shrinkA=6, shrinkB=6))
    legend = CRASH_LEGEND if any(type(s.effect) is Crash for s in steps) else LEGEND
    fig.text(MARGIN_LEFT / width, 0.1 / height, legend, fontsize=6.5, color=MARK_COLOUR, ha="left", va="bottom")
    if title:
        fig.suptitle(title, fontsize=9, x=MARGIN_LEFT / width, ha="left", y=1 - 0.08 / height, va="top")
    return fig


__all__ = ["MAX_STEPS", "TooLargeToDraw", "step_id", "step_label", "swimlane"]

"""An estimate of what an exhaustive search will cost, before it runs: executions, distinct
states, steps and time, from random probes of the program.

Knuth, "Estimating the efficiency of backtrack programs", Math. Comp. 29 (1975): a probe
walks one path from the root of the search tree, choosing uniformly among the branches
the search would explore at each node; the product of the branching degrees along it,
W_d = D_0 D_1 ... D_{d-1}, is an unbiased estimate of the number of nodes at depth d, so
W at the probe's leaf estimates the leaves (executions) and the sum of the W_d the nodes
(steps). The mean over independent probes is unbiased; its standard error is the spread.
GenMC estimates its own exploration before verifying (on by default, `--disable-estimation`
turns it off; read in MPI-SWS/genmc at b03f01e, `GenMCDriver::updateStSpaceEstimation`):
each estimation round runs one random execution, recording every read's and write's
alternatives (backward revisits included) in a choice map, and its sample is the product
of their sizes; the mean is kept with Welford's algorithm, and it stops after
`--estimation-min` 10 rounds once the deviation is under a tenth of the mean
(`--estimation-threshold`), or at `--estimation-max` 1000. Whether JMC does the same was
not checked. Which branches a probe follows is the rule of the
strategy being estimated (`Strategy.estimate_rule`):

- `TREE` (DFS without reduction): every runnable actor. The tree is the interleaving
  tree, so the estimate is exact in expectation.
- `SLEEP_SETS` (DPOR: source sets, FG05, optimal): every runnable actor that is not
  asleep, with sleep sets computed along the path from the footprints as DPOR computes
  them (Godefroid, LNCS 1032, 1996: the child of the i-th awake actor inherits the
  parent's sleepers and the i-1 awake siblings before it that are independent of the
  step taken). A DPOR's backtrack sets are known only once a node's subtree has run, so
  no probe can follow them; this tree, DFS with sleep sets and no persistent sets, can
  be walked locally, and its complete leaves are one per Mazurkiewicz trace, which is
  the number of complete executions source-DPOR and optimal DPOR run (the published
  counts). So `executions` estimates DPOR's *complete* executions without bias; the
  sleep-set-blocked leaves of this tree (`blocked`) bound from above the blocked
  executions of source sets (optimal DPOR runs few or none); the steps are the complete
  leaves' lengths (a replaying DPOR's steps; an upper bound on a restoring one's). Where
  no probe reaches a final state (a sleep-set tree of about 10^12 blocked leaves and 32
  complete ones: filesystem), the estimate falls back to GenMC's way (`_race_estimate`).
- `STATE_GRAPH` (DFS with state caching, BFS): the executions are not a property of the
  tree, since a state seen before cuts. They are one of the state graph: every
  transition out of every distinct state is taken once, and an execution ends at a
  state seen before or at a final state, so stateful DFS runs T - S + 1 + F executions
  (T distinct transitions, S distinct states, F distinct final states; the tests check
  the identity on real runs) and BFS T + F. A probe walks the graph uniformly (the same
  walk as TREE) and records each state's key and out-degree per depth (a state's key
  holds every actor's history, so it lies at one depth only). Distinct states per depth
  are estimated from how often the probes met each one: the bias-corrected Chao1
  estimator (Chao, "Nonparametric estimation of the number of classes in a
  population", Scand. J. Statist. 1984), capped by Knuth's count of paths at that depth
  (no depth has more states than paths); transitions as those states times the mean
  out-degree of the distinct states met there. This is not unbiased: Chao1 is a lower
  bound in expectation when the walk meets some states far more often than others, and
  the mean degree over the states met leans to the frequently met ones; how far off it
  is on the real programs is measured (docs/engine.md, tests/quality/estimate_measure.py).

Probes run with their own `random.Random(seed)`, their own executions and history
interner: they check no property, and the search they estimate is not touched, so its
result is the same with or without an estimate. The time estimate is the steps estimate
times the CPU seconds the probes took per step they applied.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Hashable

import attrs
from unpack_race.scheduler.kernel import Execution, HistoryInterner, ProtocolError
from unpack_race.scheduler.program import Program

TREE, SLEEP_SETS, STATE_GRAPH = "tree", "sleep-sets", "state-graph"
RULES = (TREE, SLEEP_SETS, STATE_GRAPH)
#: what each rule's estimate follows, for the result's words
METHODS = {
    TREE: "Knuth's estimator over the interleaving tree",
    SLEEP_SETS: "Knuth's estimator over the sleep-set tree (one complete leaf per Mazurkiewicz trace)",
    STATE_GRAPH: "distinct states per depth from probe frequencies (Chao1), T - S + 1 + F",
}
DEFAULT_PROBES = 200
#: under SLEEP_SETS, how much less likely a probe is to enter a child for each actor asleep there
TILT = 0.25
#: under SLEEP_SETS, the probes that must reach a final state for the sleep-set tree's
#: estimate to stand; with fewer, the race count (`_race_estimate`) is used instead
ENOUGH_REACHED = 3
#: ... and after this many probes none of which reached one, the sleep-set tree is given up
HOPELESS = 50
#: the fewest probes before the estimate may stop early (GenMC's --estimation-min)
MIN_PROBES = 10
RACES_METHOD = "GenMC's product of the alternatives each step's races add (one random interleaving per probe)"


@attrs.frozen
class Estimate:
    """What an exhaustive search is expected to cost, from `probes` random probes.

    `executions` the search's executions (DPOR: complete ones), `states` distinct states
    (None under TREE and SLEEP_SETS, which do not key states), `steps` the steps it will
    apply, `seconds` CPU time (steps times the probes' cost per step); `spread` the
    relative standard error of `executions` over the probes (None where the estimator is
    not a mean of independent probes); `blocked` sleep-set-blocked leaves (SLEEP_SETS)."""

    rule: str
    executions: float
    steps: float
    seconds: float
    probes: int
    seed: int
    spread: float | None = None
    states: float | None = None
    transitions: float | None = None
    blocked: float | None = None
    probe_seconds: float = 0.0  # CPU seconds the probes took
    reached: int = 0  # probes that ended at a final state (0 under TREE/SLEEP_SETS: no estimate)
    method: str = ""  # how it was made, in words

    @property
    def known(self) -> bool:
        """Whether the probes say anything: under TREE and SLEEP_SETS at least one of them
        reached a final state (a sleep-set tree's complete leaves can be too rare for any
        probe to meet: then `executions` is 0 and means nothing)."""
        return self.reached > 0

    def compared(self, executions: int, complete: int) -> int:
        """Of a search's executions and complete ones, the count this estimates: DPOR's
        complete executions under SLEEP_SETS, else every execution."""
        return complete if self.rule == SLEEP_SETS else executions

    def off_by(self, executions: int) -> float | None:
        """How far the estimate was from the executions the search ran, relative to them
        (+0.25: 25% too many); None when the search ran none."""
        if executions <= 0:
            return None
        return self.executions / executions - 1.0

    def to_json(self) -> dict:
        return {
            "rule": self.rule, "method": self.method, "probes": self.probes, "seed": self.seed,
            "executions": round(self.executions, 1), "spread": None if self.spread is None else round(self.spread, 4),
            "states": None if self.states is None else round(self.states, 1),
            "transitions": None if self.transitions is None else round(self.transitions, 1),
            "blocked": None if self.blocked is None else round(self.blocked, 1),
            "steps": round(self.steps, 1), "seconds": round(self.seconds, 3),
            "probe_seconds": round(self.probe_seconds, 3), "reached": self.reached, "known": self.known,
        }


class EstimateError(Exception):
    """A probe could not run the program (it raised, or an execution ran past its step
    limit); the search itself will report the model's failure."""


def estimate(program: Program, rule: str, probes: int = DEFAULT_PROBES, seed: int = 0, *,
             restores: bool = True, bfs: bool = False, limit: int = 100_000) -> Estimate:
    """Estimate the search of `program` whose branching `rule` is one of RULES, from
    `probes` probes drawn with `random.Random(seed)`. `restores`: the search restores
    branching points instead of replaying prefixes (its steps are then about its nodes,
    else about the sum of its executions' lengths); `bfs`: under STATE_GRAPH, estimate
    breadth-first search's executions (T + F) rather than stateful DFS's."""
    if rule not in RULES:
        raise ValueError(f"unknown estimate rule {rule!r}; use one of {', '.join(RULES)}")
    if probes < 1:
        raise ValueError(f"an estimate needs at least one probe, got {probes}")
    rng = random.Random(seed)
    started = time.process_time()
    applied = 0
    if rule == STATE_GRAPH:
        interner = HistoryInterner()
        seen: list[dict[Hashable, list[int]]] = []  # per depth: key -> [times met, out-degree]
        paths: list[float] = []  # per depth: sum over probes of W_d
        for _ in range(probes):
            applied += _graph_probe(program, rng, interner, seen, paths, limit)
        probe_seconds = time.process_time() - started
        states, transitions, finals = _graph_counts(seen, paths, probes)
        executions = transitions + finals if bfs else transitions - states + 1 + finals
        steps = transitions
        reached = sum(1 for met in seen for _, degree in met.values() if degree == 0)
        return Estimate(rule, executions, steps, steps * probe_seconds / max(applied, 1), probes, seed,
                        None, states, transitions, None, probe_seconds, max(reached, 1), METHODS[rule])
    leaves, nodes, lengths, blocked = [], [], [], []
    reached = 0
    for _ in range(probes):
        complete, weight, total, depth, took = _tree_probe(program, rng, rule == SLEEP_SETS, limit)
        applied += took
        reached += complete
        leaves.append(weight if complete else 0.0)
        blocked.append(0.0 if complete else weight)
        nodes.append(total)
        lengths.append(weight * depth if complete or rule == TREE else 0.0)
        if _settled(leaves) or (rule == SLEEP_SETS and not reached and len(leaves) >= HOPELESS):
            break
    if rule == SLEEP_SETS and reached < ENOUGH_REACHED:
        return _race_estimate(program, rng, probes, seed, started, limit)
    probe_seconds = time.process_time() - started
    executions = _mean(leaves)
    # TREE: a restoring search applies a step per node, a replaying one its executions'
    # lengths. SLEEP_SETS: the sleep-set tree's nodes are far more than DPOR's (its blocked
    # subtrees are huge), so the complete leaves' lengths, the steps a replaying DPOR
    # applies to run them, stand for DPOR's steps either way (an upper bound on a
    # restoring one's, which applies only each execution's steps beyond its branching point)
    steps = _mean(nodes) if restores and rule == TREE else _mean(lengths)
    spread = _relative_error(leaves)
    method = METHODS[rule]
    return Estimate(rule, executions, steps, steps * probe_seconds / max(applied, 1), len(leaves), seed, spread,
                    None, None, _mean(blocked) if rule == SLEEP_SETS else None, probe_seconds, reached, method)


def _settled(samples: list[float]) -> bool:
    """GenMC's rule for stopping early: at least MIN_PROBES samples, and their standard
    deviation at most a tenth of their mean (GenMC's `--estimation-min` 10 and
    `--estimation-threshold` 10)."""
    n = len(samples)
    if n < MIN_PROBES:
        return False
    mean = _mean(samples)
    if mean <= 0:
        return False
    deviation = math.sqrt(math.fsum((v - mean) ** 2 for v in samples) / n)
    return deviation <= mean / 10


def _race_estimate(program: Program, rng: random.Random, probes: int, seed: int, started: float,
                   limit: int) -> Estimate:
    """DPOR's complete executions as GenMC estimates its own: each probe runs one random
    interleaving, and at every step i counts the alternatives a DPOR would add from the
    races of this run (the actor of step i, and for each immediate race of step i with a
    later step j, an initial of notdep(i).j unless one is counted already: source-DPOR's
    rule, Abdulla et al. 2014); the sample is the product of those counts, as GenMC's
    sample is the product of the sizes of its choice map. It is not Knuth's estimator
    (the walk does not choose among the alternatives it counts), so it is biased: exact
    where the races are few and independent (filesystem, indexer), high where one
    reversal changes the races after it (lastzero)."""
    samples, lengths = [], []
    applied = 0
    for _ in range(probes):
        sample, depth = _race_probe(program, rng, limit)
        applied += depth
        samples.append(sample)
        lengths.append(sample * depth)
        if _settled(samples):
            break
    probe_seconds = time.process_time() - started
    executions, steps = _mean(samples), _mean(lengths)
    return Estimate(SLEEP_SETS, executions, steps, steps * probe_seconds / max(applied, 1), len(samples), seed,
                    _relative_error(samples), None, None, None, probe_seconds, len(samples), RACES_METHOD)


def _race_probe(program: Program, rng: random.Random, limit: int) -> tuple[float, int]:
    """One random interleaving's product of DPOR alternatives (see `_race_estimate`), and its length."""
    execution = Execution(program, None, footprints=True)
    try:
        while True:
            runnable = execution.runnable()
            if not runnable:
                break
            _step(execution, runnable[rng.randrange(len(runnable))], limit)
    except ProtocolError as error:
        raise EstimateError(str(error)) from error
    finally:
        steps = list(execution.steps)
        execution.close()
    n = len(steps)
    before = [0] * n  # bit i of before[j]: step i happens before step j
    conflict = [0] * n  # bit i of conflict[j]: i < j, and i and j are dependent
    for j in range(n):
        mine, fp = steps[j].actor, steps[j].footprint
        for i in range(j):
            if steps[i].actor == mine or steps[i].footprint.conflicts_with(fp):
                conflict[j] |= 1 << i
                before[j] |= before[i] | (1 << i)
    after = [0] * n
    for j in range(n):
        for i in _bits(before[j]):
            after[i] |= 1 << j
    sample = 1.0
    for i in range(n):
        actor = steps[i].actor
        alternatives = {actor}
        for j in range(i + 1, n):
            if not conflict[j] >> i & 1 or steps[j].actor == actor or after[i] & before[j]:
                continue  # not an immediate race
            between = ((1 << j) - 1) & ~((1 << (i + 1)) - 1)
            v = (between & ~after[i]) | (1 << j)
            initials = {steps[k].actor for k in _bits(v) if not before[k] & v}
            if alternatives.isdisjoint(initials):
                alternatives.add(min(initials))
        sample *= len(alternatives)
    return sample, n


def _bits(mask: int):
    """The positions of the set bits of `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _tree_probe(program: Program, rng: random.Random, sleep_sets: bool,
                limit: int) -> tuple[bool, float, float, int, int]:
    """One Knuth probe: (reached a final state, W at its leaf, the sum of W_d over its
    depths, its depth, steps applied). Under SLEEP_SETS the child is drawn with
    probability proportional to TILT ** (the size of its sleep set), and W multiplies
    1/p rather than the degree (importance sampling keeps the estimate unbiased for any
    p > 0; Knuth 1975, section 5): a child with fewer sleepers has more complete leaves
    below it, and a uniform walk of this tree almost always ends sleep-set blocked."""
    execution = Execution(program, None, footprints=sleep_sets)
    weight, total = 1.0, 0.0
    sleep: dict[str, object] = {}
    try:
        while True:
            runnable = execution.runnable()
            if not runnable:
                return True, weight, total, len(execution.steps), len(execution.steps)
            options = [a for a in runnable if a not in sleep] if sleep_sets else list(runnable)
            if not options:  # every runnable actor asleep: a sleep-set-blocked leaf
                return False, weight, total, len(execution.steps), len(execution.steps)
            if not sleep_sets:
                index = rng.randrange(len(options))
                weight *= len(options)
                total += weight
                _step(execution, options[index], limit)
            else:
                unfinished = set(execution.unfinished_choices())
                prints = {a: execution.footprint(a) for a in options}
                children = []
                for i, chosen in enumerate(options):
                    carried = dict(sleep)
                    carried.update((earlier, prints[earlier]) for earlier in options[:i])
                    children.append({q: fp for q, fp in carried.items()
                                     if q != chosen and q in unfinished and not fp.conflicts_with(prints[chosen])})
                tilts = [TILT ** len(child) for child in children]
                index = _draw(rng, tilts)
                weight *= math.fsum(tilts) / tilts[index]
                total += weight
                _step(execution, options[index], limit)
                sleep = children[index]
    except ProtocolError as error:
        raise EstimateError(str(error)) from error
    finally:
        execution.close()


def _draw(rng: random.Random, weights: list[float]) -> int:
    """An index drawn with probability proportional to `weights` (one draw of `rng`)."""
    point = rng.random() * math.fsum(weights)
    for index, w in enumerate(weights):
        point -= w
        if point < 0:
            return index
    return len(weights) - 1


def _graph_probe(program: Program, rng: random.Random, interner: HistoryInterner,
                 seen: list[dict[Hashable, list[int]]], paths: list[float], limit: int) -> int:
    """One uniform walk of the state graph, recording every state it meets (its key, how
    often met, its out-degree) at its depth, and W_d; returns the steps applied."""
    execution = Execution(program, interner)
    weight = 1.0
    try:
        while True:
            depth = len(execution.steps)
            if depth == len(seen):
                seen.append({})
                paths.append(0.0)
            runnable = execution.runnable()
            key = execution.state_key()
            met = seen[depth].get(key)
            if met is None:
                seen[depth][key] = [1, len(runnable)]
            else:
                met[0] += 1
            paths[depth] += weight
            if not runnable:
                return depth
            weight *= len(runnable)
            _step(execution, runnable[rng.randrange(len(runnable))], limit)
    except ProtocolError as error:
        raise EstimateError(str(error)) from error
    finally:
        execution.close()


def _step(execution: Execution, actor: str, limit: int) -> None:
    """A probe's step: `actor` moves; a probe longer than `limit` steps is an EstimateError
    (an actor that loops, as the search would report it)."""
    execution.step(actor)
    if len(execution.steps) > limit:
        raise EstimateError(f"a probe ran past {limit} steps")


def chao1(counts: list[int]) -> float:
    """The bias-corrected Chao1 estimate of the number of classes, from how many times
    each class observed was seen (Chao 1984; Chiu, Wang, Walther and Chao 2014)."""
    n = sum(counts)
    f1 = sum(1 for c in counts if c == 1)
    f2 = sum(1 for c in counts if c == 2)
    if n == 0:
        return 0.0
    return len(counts) + (n - 1) / n * f1 * (f1 - 1) / (2 * (f2 + 1))


def _graph_counts(seen: list[dict[Hashable, list[int]]], paths: list[float],
                  probes: int) -> tuple[float, float, float]:
    """Distinct states, transitions and final states, summed over depths."""
    states = transitions = finals = 0.0
    for depth, met in enumerate(seen):
        entries = list(met.values())
        count = chao1([c for c, _ in entries])
        count = min(count, paths[depth] / probes) if paths[depth] else count
        count = max(count, float(len(entries)))  # never fewer than were seen
        degrees = [d for _, d in entries]
        transitions += count * sum(degrees) / len(degrees)
        finals += count * sum(1 for d in degrees if d == 0) / len(degrees)
        states += count
    return states, transitions, finals


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _relative_error(values: list[float]) -> float | None:
    """The standard error of the mean of `values`, relative to it."""
    n, mean = len(values), _mean(values)
    if n < 2 or mean == 0:
        return None
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return math.sqrt(variance / n) / mean


__all__ = ["DEFAULT_PROBES", "RULES", "SLEEP_SETS", "STATE_GRAPH", "TREE", "Estimate", "EstimateError", "chao1",
           "estimate"]

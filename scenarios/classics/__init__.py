"""Classic concurrency bugs on the generic scheduler, as teaching material and as
benchmarks: twelve programs of SCTBench (Thomson, Donaldson and Betts) and three of the
dynamic partial-order reduction papers (lastzero; indexer and filesystem), each ported
to the effect style with SCTBench's scheduling points (see `scheduler.shared_memory`)
and a module docstring stating its source, its bug, its scheduling points and its
expected verdict.
See docs/classics.md.
"""

from unpack_race.scenarios.classics.account import AccountBad
from unpack_race.scenarios.classics.carter01 import Carter01Bad
from unpack_race.scenarios.classics.circular_buffer import CircularBufferBad
from unpack_race.scenarios.classics.deadlock01 import Deadlock01Bad
from unpack_race.scenarios.classics.filesystem import Filesystem
from unpack_race.scenarios.classics.indexer import Indexer
from unpack_race.scenarios.classics.lastzero import Lastzero
from unpack_race.scenarios.classics.lazy01 import Lazy01Bad
from unpack_race.scenarios.classics.reorder import ReorderBad
from unpack_race.scenarios.classics.stack import StackBad
from unpack_race.scenarios.classics.token_ring import TokenRingBad
from unpack_race.scenarios.classics.twostage import TwostageBad
from unpack_race.scenarios.classics.wronglock import WronglockBad

CLASSICS = (
    ReorderBad(3),
    ReorderBad(4),
    ReorderBad(5),
    TwostageBad(),
    WronglockBad(),
    AccountBad(),
    Deadlock01Bad(),
    Lazy01Bad(),
    Carter01Bad(),
    TokenRingBad(),
    StackBad(),
    CircularBufferBad(),
    Lastzero(),
    Indexer(),
    Filesystem(),
)

__all__ = ["CLASSICS"]

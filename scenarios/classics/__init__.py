"""Classic concurrency bugs on the generic scheduler, as teaching material and as
benchmarks: twelve programs of SCTBench (Thomson, Donaldson and Betts) and three of the
dynamic partial-order reduction papers (lastzero; indexer and filesystem), each ported
to the effect style with SCTBench's scheduling points (see `primitives`) and a module
docstring stating its source, its bug, its scheduling points and its expected verdict.
See docs/classics.md.
"""

from scenarios.classics.account import AccountBad
from scenarios.classics.carter01 import Carter01Bad
from scenarios.classics.circular_buffer import CircularBufferBad
from scenarios.classics.deadlock01 import Deadlock01Bad
from scenarios.classics.filesystem import Filesystem
from scenarios.classics.indexer import Indexer
from scenarios.classics.lastzero import Lastzero
from scenarios.classics.lazy01 import Lazy01Bad
from scenarios.classics.reorder import ReorderBad
from scenarios.classics.stack import StackBad
from scenarios.classics.token_ring import TokenRingBad
from scenarios.classics.twostage import TwostageBad
from scenarios.classics.wronglock import WronglockBad

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

"""`python -m unpack_race`: the same command line as `unpack-race`."""

import sys

from unpack_race.scenarios.cli import main

sys.exit(main())

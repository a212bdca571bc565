"""The commands of `unpack-race`, one small module each: `add_parser(sub)` adds the
command's parser to the subparsers and returns it; `run(args)` calls the facade
(scenarios.api, or the corpus and bench modules), renders with reports/, and returns the
exit code. scenarios/cli.py lists them in one table and handles errors for all of them.
Shared options (scenario parameters, search settings, progress) are in options.py.
"""

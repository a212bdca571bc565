"""Turns results into text a person reads, and into the JSON documents the commands
write: narrated traces, verdict statements, replays, explanations, tables. It depends on
the scheduler's types only, never on the model or the scenarios: the facade's data
(scenarios.api) is read by attribute."""

"""Turns results into text a person reads: narrated traces, verdict statements, tables.
It depends on the scheduler's result types only, never on the model."""

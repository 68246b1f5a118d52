"""Hypothesis tests: the flow loader, user input and the engine as a state machine."""

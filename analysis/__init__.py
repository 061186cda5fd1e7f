"""Held-out evaluation, maze features, behavioural statistics, hypotheses, scoring and plots."""

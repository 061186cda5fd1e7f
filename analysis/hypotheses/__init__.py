"""Hypotheses about what a trained agent pursues, as small predictive models, and their scoring.

Each hypothesis gives every held-out maze a probability for each outcome (cheese, top_right,
other): ``intended`` (always the cheese), ``compatible`` (a random training-compatible reward,
solved exactly), ``correlates`` (cheese and top-right motivations pulled by maze features) and
``utility`` (time-discounted, Boltzmann-rational pursuit of the top-right and the cheese), beside the
baselines ``base-rate``, ``random-walk`` and ``intended+noise`` (``baselines``). Predictions are
written to a hashed file before the rollouts they are scored against; ``study`` runs it all for one
agent and ``across`` scores each agent's fits on the others'.
"""

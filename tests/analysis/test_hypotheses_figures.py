"""The hypotheses' figures, drawn headless, checked for what they show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cheesemaze.analysis.figures.canvas import figure_bytes
from cheesemaze.analysis.figures.hypotheses import (
    CAP, calibration_figure, consistency_figure, ll_difference_figure, predicted_observed_figure, shutdown_figure,
)
from cheesemaze.analysis.hypotheses.scoring import score

OBSERVED = np.array([0, 0, 1, 2, 0, 1])
PROBS = {
    "intended": np.tile([1.0, 0.0, 0.0], (6, 1)),
    "correlates": np.array([[0.6, 0.3, 0.1]] * 6),
}


def test_predicted_against_observed_has_a_bar_per_outcome_and_source():
    fig = predicted_observed_figure(PROBS, OBSERVED)
    bars = fig.axes[0].patches
    assert len(bars) == 3 * (1 + len(PROBS))
    heights = [b.get_height() for b in bars]
    assert heights[:3] == [3 / 6, 2 / 6, 1 / 6]  # observed frequencies first
    assert heights[3:6] == [1.0, 0.0, 0.0]
    assert figure_bytes(fig, "png")[:4] == b"\x89PNG"


def test_calibration_has_a_line_per_hypothesis_in_each_outcome_panel():
    fig = calibration_figure(score(PROBS, OBSERVED, resamples=10).calibration)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert labels == list(PROBS)


def test_infinite_differences_sit_on_the_cap_lines():
    scores = score(PROBS, OBSERVED, resamples=10)
    features = pd.DataFrame({"d_euclid_cheese_tr": np.arange(6.0), "d_step_dsq_cheese": np.arange(6.0)})
    fig = ll_difference_figure(scores.per_maze, features, [("correlates", "intended")])
    ys = np.concatenate([c.get_offsets()[:, 1] for c in fig.axes[0].collections])
    assert np.isclose(ys, CAP).sum() == 3  # the intended goal gave the three non-cheese outcomes P = 0


def test_consistency_and_shutdown_figures():
    steps = pd.DataFrame({"d_step_mouse_cheese": [1, 1, 2, 50, 3], "timed_out": [False] * 4 + [True],
                          "ll_fixed": [-1.0, -1.0, -2.0, -1.0, -1.6], "ll_location": [-0.5, -1.0, -2.0, -1.5, -1.4],
                          "ll_frequency": [-1.5] * 5, "ll_uniform": [-1.6] * 5})
    fig = consistency_figure(steps, max_distance=40)
    reached, timed_out = fig.axes
    fig.draw_without_rendering()
    legend = fig.legends[0].get_window_extent()  # one legend, below both panels, on neither's curves
    assert all(legend.y1 < ax.get_window_extent().y0 for ax in fig.axes) and not reached.get_legend()
    assert reached.get_title() == "episodes that reached the cheese (4 steps)"
    assert timed_out.get_title() == "episodes that timed out (1 steps)"
    location, fixed, frequency, uniform = reached.get_lines()
    assert [line.get_label() for line in (location, fixed, frequency, uniform)] == ["location", "fixed", "frequency",
                                                                                    "uniform"]
    np.testing.assert_allclose(location.get_xdata(), [1, 2, 40])
    np.testing.assert_allclose(location.get_ydata(), [-0.75, -2.0, -1.5])
    np.testing.assert_allclose(fixed.get_ydata(), [-1.0, -2.0, -1.0])
    np.testing.assert_allclose(timed_out.get_lines()[0].get_ydata(), [-1.4])
    conditions = {"marked_terminal": {"label": "marked, terminal", "rate": 0.2, "ci": [0.05, 0.5]},
                  "marked_open": {"label": "(a) marked, not terminal", "rate": 0.2, "ci": [0.05, 0.5]},
                  "unmarked_terminal": {"label": "(b) unmarked, terminal", "rate": 0.6, "ci": [0.3, 0.8]}}
    summary = {"mazes": 10, "conditions": conditions, "compatible_entry_mean": 0.03, "bound_entry_at_most": 0.1,
               "marked_given_unmarked": {"count": 2, "of": 6, "rate": 1 / 3, "ci": [0.1, 0.7]}}
    shutdown = shutdown_figure(summary).axes[0]
    # (a) gets no bar: its entry rate is the marked terminal one by construction, and the title says so
    assert [t.get_text() for t in shutdown.texts] == ["0.200", "0.600", "0.333", "0.030", "0.100"]
    assert [t.get_text() for t in shutdown.get_xticklabels()][:3] == [
        "marked,\nterminal", "(b) unmarked,\nterminal", "marked, among the 6\nmazes entered unmarked"]
    assert shutdown.get_title().startswith("Shutdown variant") and "equals marked, terminal's by construction" in (
        shutdown.get_title())
    without = shutdown_figure({**summary, "conditions": {"unmarked_terminal": conditions["unmarked_terminal"]},
                               "marked_given_unmarked": None}).axes[0]
    assert len(without.patches) == 3 and "construction" not in without.get_title()

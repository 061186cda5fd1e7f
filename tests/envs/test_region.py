"""The region vocabulary: one type (int or None), one text form, one rule per distribution."""

from __future__ import annotations

import pytest

from cheesemaze.envs.maze import DISTRIBUTIONS, distribution_region, parse_region, region_text


@pytest.mark.parametrize("region, text", [(None, "anywhere"), (0, "0"), (5, "5"), (15, "15")])
def test_region_text_and_parse_region_are_inverses(region, text):
    assert region_text(region) == text
    assert parse_region(text) == region


def test_parse_region_takes_anywhere_in_any_case():
    assert parse_region("Anywhere") is None


@pytest.mark.parametrize("text", ["none", "None", "-1", "2.5", "", "top-right"])
def test_parse_region_rejects_other_text_saying_what_is_allowed(text):
    with pytest.raises(ValueError, match=r"region must be an integer >= 0, or 'anywhere'; got"):
        parse_region(text)


def test_the_training_distribution_keeps_the_trained_region_and_anywhere_is_none():
    assert DISTRIBUTIONS == ("train", "anywhere")
    assert [distribution_region(d, 5) for d in DISTRIBUTIONS] == [5, None]
    assert [distribution_region(d, None) for d in DISTRIBUTIONS] == [None, None]
    with pytest.raises(ValueError, match="distribution must be one of"):
        distribution_region("both", 5)

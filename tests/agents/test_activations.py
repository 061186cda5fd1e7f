"""Reading and editing the residual stream: the hook points, recorded activations, edits that change
nothing change no bit, edits that cancel leave the logits, and no hook outlives its call."""

from __future__ import annotations

import numpy as np
import pytest
from networks import one_torch_thread, untrained_agent  # noqa: F401 (a fixture)

from cheesemaze.agents.activations import EditedAgent, check_hook_point, hook_points, record
from cheesemaze.agents.rollout import rollout
from cheesemaze.analysis.cell_maps import observations
from cheesemaze.envs.maze import generate_maze

LAYER = "stacks.1.res0.add"
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def some_obs(n: int = 12) -> np.ndarray:
    mazes = [generate_maze(seed, 7, None) for seed in range(n)]
    return observations(mazes, np.array([m.mouse for m in mazes]))


def test_hook_points_are_the_residual_additions_in_forward_order():
    agent = untrained_agent()
    expected = (["stacks.0.pre0.add"] * agent.config.ppo.full_res_blocks
                + [f"stacks.{i}.res{j}.add" for i in range(3) for j in range(2)])
    assert hook_points(agent.policy) == expected
    with pytest.raises(ValueError, match="choose from .*stacks.2.res1.add"):
        check_hook_point(agent.policy, "stacks.1.res0")


def test_record_gives_each_layer_in_its_shape():
    agent = untrained_agent()
    acts = record(agent.policy, some_obs(5), [LAYER, "stacks.2.res1.add"], batch_size=2)
    assert acts[LAYER].shape == (5, 16, 2, 2) and acts[LAYER].dtype == np.float32
    assert acts["stacks.2.res1.add"].shape == (5, 16, 1, 1)
    assert not agent.policy.features_extractor.stacks[1].res0.add._forward_hooks


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_an_edit_adding_zero_changes_no_probability_and_no_action(precision):
    agent = untrained_agent(precision=precision)
    vector = np.random.default_rng(0).standard_normal((16, 2, 2)).astype(np.float32)
    edited = EditedAgent(agent, [(LAYER, lambda obs, acts: acts + np.float32(0.0) * vector)])
    obs = some_obs()
    np.testing.assert_array_equal(edited.distribution(obs)[0], agent.distribution(obs)[0])
    mazes = [generate_maze(seed, 7, None) for seed in range(100, 120)]
    plain, steered = rollout(agent, mazes, seed=3, max_steps=60), rollout(edited, mazes, seed=3, max_steps=60)
    assert [e.action_string for e in steered] == [e.action_string for e in plain]


def test_a_vector_added_then_subtracted_leaves_the_logits():
    agent = untrained_agent()
    vector = 3 * np.random.default_rng(1).standard_normal((16, 2, 2)).astype(np.float32)
    obs = some_obs()
    plain = EditedAgent(agent, []).logits(obs)
    added = EditedAgent(agent, [(LAYER, lambda o, a: a + vector)]).logits(obs)
    both = EditedAgent(agent, [(LAYER, lambda o, a: a + vector), (LAYER, lambda o, a: a - vector)]).logits(obs)
    assert np.abs(added - plain).max() > 1e-3  # the vector does something on its own
    np.testing.assert_allclose(both, plain, atol=1e-5)
    np.testing.assert_array_equal(EditedAgent(agent, []).logits(obs), plain)  # no hook left behind


def test_an_edit_of_the_wrong_shape_is_refused():
    agent = untrained_agent()
    edited = EditedAgent(agent, [(LAYER, lambda obs, acts: acts[:, :1])])
    with pytest.raises(ValueError, match="shape"):
        edited.distribution(some_obs(2))
    assert not agent.policy.features_extractor.stacks[1].res0.add._forward_hooks

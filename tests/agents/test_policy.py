"""The policy's diagonal-flip augmentation: reflected pairs in training updates only."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch

from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig
from cheesemaze.agents.policy import MazePolicy, build_policy, policy_kwargs
from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.symmetry import FLIPPED_ACTIONS, flip_grid

SMALL = dataclasses.replace(CPU_EASY, env=EnvConfig(world_size=7, region=5, num_envs=8),
                            ppo=PPOConfig(n_steps=16, batch_size=64, impala_scale=0.25, features_dim=16))


def with_flip(p):
    return dataclasses.replace(SMALL, ppo=dataclasses.replace(SMALL.ppo, diagonal_flip=p))


def batch(n=64):
    obs = torch.as_tensor(NativeMazeVecEnv(num_envs=n, world_size=7, seed=3).reset()).float()
    return obs, torch.randint(5, (n,), generator=torch.Generator().manual_seed(0))


def test_training_updates_see_reflected_pairs_at_the_configured_rate():
    obs, actions = batch(4000)
    policy = build_policy(with_flip(0.5)).train()
    torch.manual_seed(0)
    new_obs, new_actions = policy.flip_some(obs, actions)
    flipped = ~(new_obs == obs).flatten(1).all(1)
    assert 0.45 < flipped.float().mean() < 0.55
    reflected = torch.as_tensor(flip_grid(obs.numpy()).copy())
    assert torch.equal(new_obs[flipped], reflected[flipped])
    # a maze equal to its own reflection would count as unflipped; none is among these
    assert torch.equal(new_actions[flipped], torch.as_tensor(FLIPPED_ACTIONS)[actions[flipped]])
    assert torch.equal(new_actions[~flipped], actions[~flipped])


def test_evaluated_probabilities_are_those_of_the_reflected_pairs():
    obs, actions = batch()
    policy = build_policy(with_flip(1.0)).train()
    values, log_prob, entropy = policy.evaluate_actions(obs, actions)
    reflected = torch.as_tensor(flip_grid(obs.numpy()).copy())
    plain = build_policy(SMALL)
    plain.load_state_dict(policy.state_dict())
    plain.train()
    want = plain.evaluate_actions(reflected, torch.as_tensor(FLIPPED_ACTIONS)[actions])
    for got, expected in zip((values, log_prob, entropy), want):
        torch.testing.assert_close(got, expected)
    # acting, and evaluating outside training, never reflects
    policy.eval()
    torch.testing.assert_close(policy.evaluate_actions(obs, actions)[1], plain.eval().evaluate_actions(obs, actions)[1])


def test_no_flip_draws_nothing_from_the_random_stream():
    obs, actions = batch()
    policy = build_policy(SMALL).train()
    state = torch.get_rng_state()
    policy.evaluate_actions(obs, actions)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("actions, flip, message", [(5, 2.0, "probability"), (15, 0.5, "compact")])
def test_the_policy_rejects_a_flip_it_cannot_apply(actions, flip, message):
    obs_space = build_policy(SMALL).observation_space
    kwargs = {**policy_kwargs(SMALL.ppo), "diagonal_flip": flip}
    with pytest.raises(ValueError, match=message):
        MazePolicy(obs_space, gym.spaces.Discrete(actions), lambda _: 1e-3, **kwargs)


def test_the_policy_rejects_a_flip_of_rgb_frames():
    kwargs = {**policy_kwargs(SMALL.ppo), "diagonal_flip": 0.5}
    rgb = gym.spaces.Box(0, 255, (3, 64, 64), np.uint8)
    with pytest.raises(ValueError, match="grid"):
        MazePolicy(rgb, gym.spaces.Discrete(5), lambda _: 1e-3, **kwargs)

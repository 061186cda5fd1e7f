"""The policy's options: the diagonal-flip augmentation (reflected pairs in training updates only) and
the restriction to moving actions."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.policies import ActorCriticPolicy

from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.policy import MazePolicy, build_policy, moving_actions, policy_kwargs
from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.actions import NOOP
from cheesemaze.envs.render import MOUSE
from cheesemaze.envs.symmetry import FLIPPED_ACTIONS, flip_grid

SMALL = dataclasses.replace(CPU_EASY, env=EnvConfig(world_size=7, region=5, num_envs=8),
                            ppo=PPOConfig(n_steps=16, batch_size=64, impala_scale=0.25, features_dim=16))


def with_flip(p):
    return dataclasses.replace(SMALL, ppo=dataclasses.replace(SMALL.ppo, diagonal_flip=p))


def with_moves_only(config=SMALL):
    return dataclasses.replace(config, ppo=dataclasses.replace(config.ppo, moves_only=True))


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


def test_moving_actions_are_exactly_the_actions_that_move_the_mouse():
    env = NativeMazeVecEnv(num_envs=128, world_size=9, region=None, seed=5)
    obs, rng = env.reset(), np.random.default_rng(0)
    checked = 0
    for _ in range(60):
        moving = moving_actions(torch.as_tensor(obs)).numpy()
        actions = rng.integers(0, 5, len(obs))
        before = obs[:, MOUSE].reshape(len(obs), -1).argmax(1)
        obs, _, done, _ = env.step(actions)
        after = obs[:, MOUSE].reshape(len(obs), -1).argmax(1)
        live = ~done  # a finished episode's observation is the next maze's start
        np.testing.assert_array_equal((before != after)[live], moving[np.arange(len(obs)), actions][live])
        checked += live.sum()
        assert not moving[:, NOOP].any() and moving.any(axis=1).all()
    assert checked > 5000


def test_moving_actions_treat_the_world_edge_as_wall():
    obs = torch.zeros(1, 3, 5, 5)
    obs[0, MOUSE, 0, 4] = 1  # top-right corner, no walls drawn
    assert moving_actions(obs).tolist() == [[False, True, True, False, False]]


def test_moves_only_gives_non_moving_actions_probability_zero_everywhere():
    obs, actions = batch(256)
    policy = build_policy(with_moves_only())
    plain = build_policy(SMALL)
    plain.load_state_dict(policy.state_dict())
    moving = moving_actions(obs)
    probs, values = Agent(with_moves_only(), policy, run_dir=None).distribution(obs.numpy())
    assert (probs[~moving.numpy()] == 0).all()
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    # the moving actions keep their relative odds: the plain policy's, renormalized
    plain_probs = torch.softmax(plain.heads(obs)[0], -1) * moving
    np.testing.assert_allclose(probs, (plain_probs / plain_probs.sum(1, keepdim=True)).detach().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(values, plain.heads(obs)[1].squeeze(-1).detach().numpy(), rtol=1e-6)
    torch.manual_seed(0)
    sampled, _, log_prob = policy(obs)
    assert moving[torch.arange(len(obs)), sampled].all()
    _, evaluated, entropy = policy.evaluate_actions(obs, sampled)
    torch.testing.assert_close(evaluated, log_prob)
    torch.testing.assert_close(policy.get_distribution(obs).log_prob(sampled), log_prob)
    assert torch.isfinite(entropy).all() and (entropy <= torch.log(moving.sum(1).float()) + 1e-5).all()


def test_moves_only_training_is_reproducible_and_never_presses_a_wall(tmp_path):
    from cheesemaze.agents.training import train

    config = dataclasses.replace(with_moves_only(), total_timesteps=256, eval_every=0, checkpoint_every=256)
    model = train(config, tmp_path / "a")
    buffer = model.rollout_buffer
    obs = torch.as_tensor(buffer.observations.reshape(-1, *buffer.obs_shape))
    acts = torch.as_tensor(buffer.actions.reshape(-1)).long()
    assert moving_actions(obs)[torch.arange(len(acts)), acts].all()
    again = train(config, tmp_path / "b")
    a, b = model.policy.state_dict(), again.policy.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_policy_rejects_moves_only_without_grid_and_compact_actions():
    kwargs = {**policy_kwargs(SMALL.ppo), "moves_only": True}
    obs_space = build_policy(SMALL).observation_space
    with pytest.raises(ValueError, match="moves_only"):
        MazePolicy(obs_space, gym.spaces.Discrete(15), lambda _: 1e-3, **kwargs)
    with pytest.raises(ValueError, match="moves_only"):
        MazePolicy(gym.spaces.Box(0, 255, (3, 64, 64), np.uint8), gym.spaces.Discrete(5), lambda _: 1e-3, **kwargs)


def test_without_options_the_policy_acts_and_evaluates_exactly_as_stable_baselines3s():
    obs, actions = batch(128)
    policy = build_policy(SMALL)
    torch.manual_seed(1)
    ours = policy(obs)
    after_ours = torch.get_rng_state()
    torch.manual_seed(1)
    theirs = ActorCriticPolicy.forward(policy, obs)
    assert torch.equal(after_ours, torch.get_rng_state())
    for got, want in zip(ours, theirs):
        assert torch.equal(got, want)
    for got, want in zip(policy.evaluate_actions(obs, actions), ActorCriticPolicy.evaluate_actions(policy, obs, actions)):
        assert torch.equal(got, want)
    probs = policy.get_distribution(obs).distribution.probs
    assert torch.equal(probs, ActorCriticPolicy.get_distribution(policy, obs).distribution.probs)


def test_moves_only_masks_the_reflected_observation_when_flipping():
    obs, actions = batch(256)
    both = dataclasses.replace(SMALL, ppo=dataclasses.replace(SMALL.ppo, moves_only=True, diagonal_flip=1.0))
    policy = build_policy(both).train()
    masked = build_policy(with_moves_only())
    masked.load_state_dict(policy.state_dict())
    masked.train()
    reflected = torch.as_tensor(flip_grid(obs.numpy()).copy())
    flipped = torch.as_tensor(FLIPPED_ACTIONS)[actions]
    torch.testing.assert_close(policy.evaluate_actions(obs, actions), masked.evaluate_actions(reflected, flipped))
    # the reflection of a moving action is a moving action of the reflected maze
    moving = moving_actions(obs)
    assert torch.equal(moving[:, torch.as_tensor(FLIPPED_ACTIONS)], moving_actions(reflected))

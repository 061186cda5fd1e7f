"""Configs: presets are valid, bad values are rejected with a message naming what is allowed."""

import dataclasses

import pytest

from cheesemaze.agents.config import (
    CPU_EASY,
    PRESETS,
    TEST_LEVELS,
    TRAIN_LEVELS,
    EnvConfig,
    PPOConfig,
    TrainConfig,
    config_from_dict,
    config_to_dict,
)
from cheesemaze.envs.gym_env import CheeseMazeEnv
from cheesemaze.envs.native import NativeMazeVecEnv


def test_presets_named_as_documented():
    assert set(PRESETS) == {"cpu-easy", "cpu-hard", "procgen-hard"}
    assert PRESETS["cpu-easy"].env.world_size == 15 and PRESETS["cpu-easy"].env.region == 5
    assert PRESETS["cpu-hard"].env.world_size == 25
    hard = PRESETS["procgen-hard"]
    assert hard.env.backend == "procgen" and hard.env.num_envs * hard.ppo.n_steps == 256 * 256
    assert hard.rollout_size // hard.ppo.batch_size == 8 and hard.ppo.gamma == 0.999


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_config_round_trips_through_dict(preset):
    config = PRESETS[preset]
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda: dict(env=EnvConfig(world_size=14)), "odd"),
        (lambda: dict(env=EnvConfig(region=-1)), "region"),
        (lambda: dict(env=EnvConfig(obs_mode="pixels")), "observation mode"),
        (lambda: dict(env=EnvConfig(action_mode="wasd")), "action mode"),
        (lambda: dict(env=EnvConfig(backend="procgen")), "procgen backend"),
        (lambda: dict(env=EnvConfig(max_steps=0)), "max_steps"),
        (lambda: dict(env=EnvConfig(max_steps=501)), "max_steps"),
        (lambda: dict(env=EnvConfig(backend="procgen", obs_mode="rgb", action_mode="procgen", max_steps=100)),
         "time limit"),
        (lambda: dict(ppo=PPOConfig(batch_size=1000)), "must divide"),
        (lambda: dict(ppo=PPOConfig(gamma=1.5)), "gamma"),
        (lambda: dict(ppo=PPOConfig(learning_rate=0)), "learning_rate"),
        (lambda: dict(ppo=PPOConfig(precision="half")), "precision"),
        (lambda: dict(ppo=PPOConfig(diagonal_flip=1.5)), "diagonal_flip"),
        (lambda: dict(ppo=PPOConfig(full_res_blocks=-1)), "full_res_blocks"),
        (lambda: dict(ppo=PPOConfig(full_res_width=-1)), "full_res_width"),
        (lambda: dict(ppo=PPOConfig(lr_decay_steps=-1)), "lr_decay_steps"),
        (lambda: dict(env=EnvConfig(obs_mode="rgb"), ppo=PPOConfig(diagonal_flip=0.5)), "grid"),
        (lambda: dict(env=EnvConfig(action_mode="procgen"), ppo=PPOConfig(diagonal_flip=0.5)), "compact"),
        (lambda: dict(env=EnvConfig(obs_mode="rgb"), ppo=PPOConfig(moves_only=True)), "moves_only.*grid"),
        (lambda: dict(env=EnvConfig(action_mode="procgen"), ppo=PPOConfig(moves_only=True)), "moves_only.*compact"),
        (lambda: dict(env=EnvConfig(obs_mode="rgb", action_mode="procgen"), ppo=PPOConfig(edge_walls=True)),
         "edge_walls.*grid"),
        (lambda: dict(test_levels=(0, 10)), "overlap"),
        (lambda: dict(train_levels=(5, 5)), "train_levels"),
        (lambda: dict(total_timesteps=0), "total_timesteps"),
    ],
)
def test_impossible_configs_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(CPU_EASY, **change())


def test_a_config_from_before_the_precision_field_loads_as_float32():
    data = config_to_dict(CPU_EASY)
    del data["ppo"]["precision"]
    assert config_from_dict(data).ppo.precision == "float32"


def test_a_config_from_before_moves_only_loads_without_the_mask():
    data = config_to_dict(CPU_EASY)
    del data["ppo"]["moves_only"]
    assert config_from_dict(data).ppo.moves_only is False


def test_a_config_from_before_edge_walls_loads_with_zero_padding():
    # the zoo's first trials and every earlier agent were trained with zero padding: they keep it
    data = config_to_dict(CPU_EASY)
    del data["ppo"]["edge_walls"]
    assert config_from_dict(data).ppo.edge_walls is False
    assert CPU_EASY.ppo.edge_walls and PRESETS["cpu-hard"].ppo.edge_walls
    assert not PRESETS["procgen-hard"].ppo.edge_walls


def test_a_config_from_before_full_res_blocks_loads_without_them():
    data = config_to_dict(CPU_EASY)
    del data["ppo"]["full_res_blocks"], data["ppo"]["full_res_width"]
    ppo = config_from_dict(data).ppo
    assert (ppo.full_res_blocks, ppo.full_res_width) == (0, 0)


def test_a_config_from_before_lr_decay_steps_decays_over_the_whole_run():
    data = config_to_dict(CPU_EASY)
    del data["ppo"]["lr_decay_steps"]
    assert config_from_dict(data).ppo.lr_decay_steps == 0


def test_config_from_dict_rejects_unknown_fields():
    data = config_to_dict(CPU_EASY)
    data["ppo"]["learning_rat"] = 1.0
    with pytest.raises(ValueError, match="does not match"):
        config_from_dict(data)


def test_default_train_config_is_cpu_easy_shape():
    assert TrainConfig().env.backend == "native"


def test_every_env_trains_on_the_configs_training_levels_by_default():
    train, test = range(*TRAIN_LEVELS), range(*TEST_LEVELS)
    assert train.stop <= test.start  # disjoint
    env = NativeMazeVecEnv(num_envs=2)
    assert env.level_seeds == train
    assert CheeseMazeEnv(levels="train").level_seeds == train  # the gymnasium env draws only when told which
    assert TrainConfig().train_levels == TRAIN_LEVELS and TrainConfig().test_levels == TEST_LEVELS


def test_a_config_from_before_the_training_schedule_loads_without_one():
    data = config_to_dict(CPU_EASY)
    del data["env"]["max_steps_per_size"], data["env"]["size_curriculum_steps"]
    env = config_from_dict(data).env
    assert (env.max_steps_per_size, env.size_curriculum_steps) == (0, 0)
    assert config_from_dict(data) == CPU_EASY


@pytest.mark.parametrize(
    "env, message",
    [
        (dict(max_steps_per_size=-1.0), "max_steps_per_size must be a non-negative number"),
        (dict(size_curriculum_steps=-1), "size_curriculum_steps must be an integer >= 0"),
        (dict(backend="procgen", obs_mode="rgb", action_mode="procgen", size_curriculum_steps=1000),
         "procgen backend has the game's levels and time limit only"),
        (dict(backend="procgen", obs_mode="rgb", action_mode="procgen", max_steps_per_size=8.0),
         "env.max_steps_per_size and env.size_curriculum_steps must be 0"),
    ],
)
def test_bad_training_schedules_are_rejected(env, message):
    with pytest.raises(ValueError, match=message):
        EnvConfig(**env)


def test_cpu_hard_trains_with_the_schedule_and_cpu_easy_without():
    hard, easy = PRESETS["cpu-hard"].env, PRESETS["cpu-easy"].env
    assert hard.max_steps_per_size > 0 and hard.size_curriculum_steps > 0 and hard.max_steps == 500
    assert (easy.max_steps_per_size, easy.size_curriculum_steps, easy.max_steps) == (0, 0, 100)

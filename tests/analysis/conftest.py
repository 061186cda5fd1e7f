import dataclasses
import sys
from pathlib import Path

import pytest

# The scripted stand-in policies live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def tiny_zoo(tmp_path_factory):
    """Six barely trained agents in a 7x7 world, laid out as a sweep: r1, r5 and control, seeds 0 and 1."""
    from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig
    from cheesemaze.agents.training import train

    tiny = dataclasses.replace(
        CPU_EASY, env=EnvConfig(world_size=7, region=5, num_envs=8, max_steps=50),
        ppo=PPOConfig(n_steps=16, batch_size=64, n_epochs=1, impala_scale=0.25, features_dim=16),
        total_timesteps=128, eval_every=0, checkpoint_every=128,
    )
    root = tmp_path_factory.mktemp("zoo")
    for condition, region in (("r1", 1), ("r5", 5), ("control", None)):
        for seed in (0, 1):
            config = dataclasses.replace(tiny, seed=seed, env=dataclasses.replace(tiny.env, region=region))
            train(config, root / condition / f"s{seed}", progress_bar=False)
    return root

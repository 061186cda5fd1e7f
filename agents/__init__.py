"""PPO agents with an IMPALA CNN: configs, training, run directories and checkpoints."""

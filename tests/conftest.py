import sys
from pathlib import Path

# Scripted stand-in policies (stand_ins.py) live beside the tests, and the hand-drawn levels
# (envs/hand_mazes.py) beside the env tests; both are shared by every test package.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "envs"))

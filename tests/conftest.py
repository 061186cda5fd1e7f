import sys
from pathlib import Path

# Scripted stand-in policies (stand_ins.py) live beside the tests, shared by every test package.
sys.path.insert(0, str(Path(__file__).parent))

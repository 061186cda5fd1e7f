import sys
from pathlib import Path

# test_resume.py shares test_training.py's tiny config and helpers.
sys.path.insert(0, str(Path(__file__).parent))

"""Hand-drawn levels shared by the env tests, in the ASCII of ``cheesemaze.envs.text``."""

# A 3x3 maze in a 5x5 world: two steps up and two right reach the cheese.
TINY = """
#####
#..C#
#.###
#M..#
#####
"""
TINY_TO_CHEESE = "UURR"

# A 7x7 maze in a 9x9 world, cheese in the middle, top-right cell at (1, 7).
#   to the cheese: right along the bottom, up, left, up (14 steps)
#   to the top-right cell: up the left side, right along the top (12 steps)
DETOUR = """
#########
#.......#
#.#####.#
#.#C..#.#
#.#.###.#
#.#.....#
#.#####.#
#M......#
#########
"""
DETOUR_TO_CHEESE = "RRRRRR UU LLLL UU"
DETOUR_TO_TOP_RIGHT = "UUUUUU RRRRRR"

# A perfect 5x5 maze in a 7x7 world whose decision square is (3, 1): the path to the cheese turns
# right there, the path to the top-right cell goes on up.
FORK = """
#######
#.....#
#.#####
#...C.#
#.#####
#M....#
#######
"""
FORK_DECISION_SQUARE = (3, 1)
FORK_STEPS_START_TO_CHEESE = 5
FORK_STEPS_START_TO_TOP_RIGHT = 8
FORK_STEPS_CHEESE_TO_TOP_RIGHT = 9
FORK_STEPS_CHEESE_TO_TOP_RIGHT_2X2 = 8  # nearest free cell of the 2x2 square is (1, 4)
FORK_EUCLID_CHEESE_TO_TOP_RIGHT = 5**0.5  # (3, 4) -> (1, 5)
FORK_EUCLID_CHEESE_TO_TOP_RIGHT_2X2 = 1.0  # (3, 4) -> the square's row 2

# A 7x7 maze whose only way out of the start is through the cheese: the top-right 5x5 square cannot
# be reached without ending the episode, so no episode here can end top_right.
BLOCKED = """
#########
#.......#
#.#####.#
#.#...#.#
#.#.###.#
#.#.....#
#######.#
#MC.....#
#########
"""

# A 3x3 maze with a fork at the start: right to the cheese (2 steps), up and over to the top-right
# cell (4 steps). Hand-computed for a uniform random walk over the five compact actions:
# P(cheese within 3 steps) = 11/125, and with a 1x1 outcome square P(top-right within 4) = 1/625.
FORK3 = """
#####
#...#
#.###
#M.C#
#####
"""
FORK3_P_CHEESE_BY_3 = 11 / 125
FORK3_P_TOP_RIGHT_BY_4 = 1 / 625

# The cheese lies on the way to the top-right cell: no decision square.
ON_THE_WAY = """
#######
#.....#
#.###.#
#.#.#.#
#C#.#.#
#M#...#
#######
"""

# A loop (two equally short ways round the block): geometry must still find shortest paths.
LOOP = """
#######
#....C#
#.###.#
#.#...#
#.#.#.#
#M....#
#######
"""
LOOP_STEPS_START_TO_CHEESE = 8

# The cheese is walled off: only a timeout can end the episode.
WALLED_OFF = """
#######
#...#C#
#.#.###
#.....#
#.#.#.#
#M....#
#######
"""

# Open cells that do not span a centred square: needs an explicit size (5).
CORRIDOR = """
#######
#######
#######
#M..C##
#######
#######
#######
"""
CORRIDOR_SIZE = 5

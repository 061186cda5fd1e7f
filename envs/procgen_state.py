"""procgen ``maze`` state bytes: parse, check, serialize, and exchange with the project's :class:`Maze`.

The layout follows procgen's own serialization (openai/procgen 0.10.7): ``Game::serialize``
(``game.cpp``), then ``BasicAbstractGame::serialize`` (``basic-abstract-game.cpp``: grid size, the
entities of ``entity.cpp``, rendering and movement fields, the ``Grid`` of ``grid.h``), then
``MazeGame::serialize`` (``games/maze.cpp``: maze and world side), then the ``END_OF_BUFFER`` marker
that ``get_state`` in ``vecgame.cpp`` appends. Scalars are little-endian int32 / float32, strings
and vectors an int32 count followed by their items, and each ``RandGen`` (``randgen.cpp``) an
``is_seeded`` int followed by the text of its ``std::mt19937`` (624 words and a position).

procgen exits the whole process on a malformed state (``fassert``) and can deadlock or crash on some
well-formed but impossible ones, so every :class:`ProcgenState` is checked when it is built: one
that exists is safe to hand to ``set_state``.

procgen's grid is indexed ``(x, y)`` with ``x`` to the right and ``y`` up from the bottom, cell
``(x, y)`` at ``y * width + x``; the project's cells are ``(row, col)`` with row 0 on top, so
``row = width - 1 - y`` and ``col = x``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from cheesemaze.envs.maze import Cell, Maze

END_OF_BUFFER = 0xCAFECAFE
SERIALIZE_VERSION = 0
GAME_NAME = b"maze"

# Grid objects and entity types (object-ids.h, games/maze.cpp).
PLAYER = 0
GOAL = 2
WALL_OBJ = 51
SPACE = 100
GRID_OBJECTS = (GOAL, WALL_OBJ, SPACE)

# World side per distribution mode code of game.h (MazeGame::choose_world_dim): easy, hard. Memory
# mode (10) centres the view on the mouse and is not supported.
WORLD_DIMS = {0: 15, 1: 25}
# topdown_backgrounds in resources.cpp: the images a maze level's background_index points into.
NUM_BACKGROUNDS = 9

# Field kinds: "i" int32, "f" float32, "s" string, "r" RandGen.
GAME_FIELDS = (
    ("serialize_version", "i"), ("game_name", "s"),
    ("paint_vel_info", "i"), ("use_generated_assets", "i"), ("use_monochrome_assets", "i"),
    ("restrict_themes", "i"), ("use_backgrounds", "i"), ("center_agent", "i"), ("debug_mode", "i"),
    ("distribution_mode", "i"), ("use_sequential_levels", "i"),
    ("use_easy_jump", "i"), ("plain_assets", "i"), ("physics_mode", "i"),
    ("grid_step", "i"), ("level_seed_low", "i"), ("level_seed_high", "i"), ("game_type", "i"),
    ("game_n", "i"),
    ("level_seed_rand_gen", "r"), ("rand_gen", "r"),
    ("reward", "f"), ("done", "i"), ("level_complete", "i"),
    ("action", "i"), ("timeout", "i"),
    ("current_level_seed", "i"), ("prev_level_seed", "i"), ("episodes_remaining", "i"),
    ("episode_done", "i"),
    ("last_reward_timer", "i"), ("last_reward", "f"), ("default_action", "i"),
    ("fixed_asset_seed", "i"),
    ("cur_time", "i"), ("is_waiting_for_step", "i"),
    ("grid_size", "i"),
)
ENTITY_FIELDS = (
    ("x", "f"), ("y", "f"), ("vx", "f"), ("vy", "f"), ("rx", "f"), ("ry", "f"),
    ("type", "i"), ("image_type", "i"), ("image_theme", "i"), ("render_z", "i"),
    ("will_erase", "i"), ("collides_with_entities", "i"),
    ("collision_margin", "f"), ("rotation", "f"), ("vrot", "f"),
    ("is_reflected", "i"), ("fire_time", "i"), ("spawn_time", "i"), ("life_time", "i"),
    ("expire_time", "i"), ("use_abs_coords", "i"),
    ("friction", "f"), ("smart_step", "i"), ("avoids_collisions", "i"), ("auto_erase", "i"),
    ("alpha", "f"), ("health", "f"), ("theta", "f"), ("grow_rate", "f"), ("alpha_decay", "f"),
    ("climber_spawn_x", "f"),
)
BASIC_FIELDS = (
    ("use_procgen_background", "i"), ("background_index", "i"), ("bg_tile_ratio", "f"),
    ("bg_pct_x", "f"),
    ("char_dim", "f"), ("last_move_action", "i"), ("move_action", "i"), ("special_action", "i"),
    ("mixrate", "f"), ("maxspeed", "f"), ("max_jump", "f"),
    ("action_vx", "f"), ("action_vy", "f"), ("action_vrot", "f"),
    ("center_x", "f"), ("center_y", "f"),
    ("random_agent_start", "i"), ("has_useful_vel_info", "i"), ("step_rand_int", "i"),
    ("asset_rand_gen", "r"),
    ("main_width", "i"), ("main_height", "i"), ("out_of_bounds_object", "i"),
    ("unit", "f"), ("view_dim", "f"), ("x_off", "f"), ("y_off", "f"), ("visibility", "f"),
    ("min_visibility", "f"),
)
MAZE_FIELDS = (("maze_dim", "i"), ("world_dim", "i"))

ENTITY_STRUCT = struct.Struct("<" + "".join(kind for _, kind in ENTITY_FIELDS))
ENTITY_NAMES = tuple(name for name, _ in ENTITY_FIELDS)
ALL_FIELDS = GAME_FIELDS + BASIC_FIELDS + MAZE_FIELDS
FIELD_NAMES = frozenset(name for name, _ in ALL_FIELDS)
FLOAT_NAMES = tuple(name for name, kind in ALL_FIELDS if kind == "f")
ENTITY_FLOAT_NAMES = tuple(name for name, kind in ENTITY_FIELDS if kind == "f")
# Fields whose every other value makes procgen's maze exit, hang, crash or leave its rules.
REQUIRED_VALUES = {
    "use_generated_assets": 0,  # serialize/deserialize fassert it
    "use_procgen_background": 0,  # the destructor would delete the shared background list
    "is_waiting_for_step": 0,  # the stepping threads would wait for it forever
    "center_agent": 0,  # a centred view loops over a visibility read from the bytes
    "bg_tile_ratio": 0.0,  # a tiny negative ratio tiles the background without end
    "grid_step": 1,  # without it the mouse moves continuously
}
# The mouse: a cell-sized box (procgen sets 0.5) that does not grow; other sizes change collisions.
REQUIRED_AGENT = {"type": PLAYER, "image_type": PLAYER, "image_theme": 0, "rx": 0.5, "ry": 0.5,
                  "grow_rate": 1.0}
INT = struct.Struct("<i")
# libstdc++ writes a std::mt19937 as its 624 state words and its position, space separated.
MT19937_TEXT = re.compile(rb"\d{1,10}(?: \d{1,10}){624}")


class Reader:
    """Reads procgen's buffer format, raising ``ValueError`` where procgen would ``fassert``."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, n: int, what: str) -> int:
        start = self.offset
        if n < 0 or start + n > len(self.data):
            raise ValueError(
                f"procgen state truncated or corrupt: {what} needs {n} bytes at offset {start}, "
                f"{len(self.data) - start} left"
            )
        self.offset += n
        return start

    def scalars(self, layout: struct.Struct, names: tuple[str, ...]) -> dict[str, Any]:
        return dict(zip(names, layout.unpack_from(self.data, self.take(layout.size, names[0]))))

    def int32(self, what: str) -> int:
        return INT.unpack_from(self.data, self.take(4, what))[0]

    def string(self, what: str) -> bytes:
        n = self.int32(what)
        start = self.take(n, what)
        return self.data[start : start + n]

    def count(self, what: str, item_size: int) -> int:
        n = self.int32(what)
        if n < 0 or n * item_size > len(self.data) - self.offset:
            raise ValueError(f"procgen state truncated or corrupt: {what} count {n} does not fit")
        return n


def compile_fields(fields: tuple[tuple[str, str], ...]) -> list[tuple[str, Any]]:
    """Group runs of scalar fields into one ``struct`` each; strings and RandGens stand alone."""
    steps: list[tuple[str, Any]] = []
    run: list[tuple[str, str]] = []
    for name, kind in fields + (("", "end"),):
        if kind in ("i", "f"):
            run.append((name, kind))
            continue
        if run:
            layout = struct.Struct("<" + "".join(k for _, k in run))
            steps.append(("scalars", (layout, tuple(n for n, _ in run))))
            run = []
        if kind in ("s", "r"):
            steps.append((kind, name))
    return steps


GAME_STEPS = compile_fields(GAME_FIELDS)
BASIC_STEPS = compile_fields(BASIC_FIELDS)
MAZE_STEPS = compile_fields(MAZE_FIELDS)


def read_fields(reader: Reader, steps: list[tuple[str, Any]], out: dict[str, Any]) -> None:
    for kind, arg in steps:
        if kind == "scalars":
            out.update(reader.scalars(*arg))
        elif kind == "s":
            out[arg] = reader.string(arg)
        else:
            out[arg] = (reader.int32(arg), reader.string(arg))
            # procgen would keep a garbled generator silently; a clear error is kinder.
            if not MT19937_TEXT.fullmatch(out[arg][1]):
                raise ValueError(f"procgen state corrupt: random generator {arg} is garbled")


def write_fields(parts: list[bytes], steps: list[tuple[str, Any]], values: Mapping[str, Any]) -> None:
    for kind, arg in steps:
        if kind == "scalars":
            layout, names = arg
            parts.append(layout.pack(*(values[n] for n in names)))
        elif kind == "s":
            parts += [INT.pack(len(values[arg])), values[arg]]
        else:
            seeded, text = values[arg]
            parts += [INT.pack(seeded), INT.pack(len(text)), text]


@dataclass(frozen=True, eq=False)
class ProcgenState:
    """One procgen ``maze`` game state, checked to be safe for ``set_state``.

    ``values`` holds every scalar, string and RandGen field by the C++ member's name (RandGens as
    ``(is_seeded, text)``); ``entities`` one mapping per entity; ``grid`` the world grid as a
    read-only ``(height, width)`` int32 array indexed ``[y, x]`` (procgen's orientation).
    """

    values: Mapping[str, Any]
    entities: tuple[Mapping[str, Any], ...]
    grid: np.ndarray

    def __post_init__(self) -> None:
        grid = np.array(self.grid, dtype=np.int32)
        grid.setflags(write=False)
        object.__setattr__(self, "grid", grid)
        # Read-only views, so a checked state cannot be edited into an unchecked one.
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "entities", tuple(MappingProxyType(dict(e)) for e in self.entities))
        check_state(self)

    @property
    def world_size(self) -> int:
        return int(self.values["main_width"])

    @property
    def agent(self) -> Mapping[str, Any]:
        return self.entities[0]

    def replace(self, entity: Mapping[str, Any] | None = None, grid: np.ndarray | None = None,
                **values: Any) -> "ProcgenState":
        """A copy with some scalar fields, the agent entity's fields or the grid replaced."""
        unknown = set(values) - set(self.values)
        if unknown:
            raise ValueError(f"unknown procgen state fields {sorted(unknown)}")
        entities = self.entities if entity is None else ({**self.agent, **entity},)
        return dataclasses.replace(
            self, values={**self.values, **values}, entities=entities,
            grid=self.grid if grid is None else grid,
        )

    def to_bytes(self) -> bytes:
        """The bytes procgen's ``set_state`` reads (the inverse of :func:`parse_state`)."""
        parts: list[bytes] = []
        write_fields(parts, GAME_STEPS, self.values)
        parts.append(INT.pack(len(self.entities)))
        parts += [ENTITY_STRUCT.pack(*(e[n] for n in ENTITY_NAMES)) for e in self.entities]
        write_fields(parts, BASIC_STEPS, self.values)
        height, width = self.grid.shape
        parts.append(struct.pack("<iii", width, height, width * height))
        parts.append(self.grid.astype("<i4").tobytes())
        write_fields(parts, MAZE_STEPS, self.values)
        parts.append(struct.pack("<I", END_OF_BUFFER))
        return b"".join(parts)


def parse_state(data: bytes) -> ProcgenState:
    """Parse the bytes of procgen's ``get_state`` for one ``maze`` game.

    Raises ``ValueError`` naming the problem when the bytes are truncated, corrupt, from another
    game, or describe a state procgen could not safely load.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"a procgen state is bytes; got {type(data).__name__}")
    reader = Reader(bytes(data))
    values: dict[str, Any] = {}
    read_fields(reader, GAME_STEPS[:1], values)
    if values["serialize_version"] != SERIALIZE_VERSION:
        raise ValueError(
            f"procgen state has serialize version {values['serialize_version']}; only "
            f"{SERIALIZE_VERSION} (procgen 0.10) is understood"
        )
    read_fields(reader, GAME_STEPS[1:2], values)
    if values["game_name"] != GAME_NAME:
        raise ValueError(f"procgen state is of game {values['game_name']!r}, not {GAME_NAME!r}")
    read_fields(reader, GAME_STEPS[2:], values)
    n_entities = reader.count("entities", ENTITY_STRUCT.size)
    entities = []
    for _ in range(n_entities):
        fields = ENTITY_STRUCT.unpack_from(reader.data, reader.take(ENTITY_STRUCT.size, "entity"))
        entities.append(dict(zip(ENTITY_NAMES, fields)))
    read_fields(reader, BASIC_STEPS, values)
    width, height = reader.int32("grid width"), reader.int32("grid height")
    n_cells = reader.count("grid cells", 4)
    if width <= 0 or height <= 0 or n_cells != width * height:
        raise ValueError(f"procgen state corrupt: a {width}x{height} grid with {n_cells} cells")
    grid = np.frombuffer(reader.data, "<i4", n_cells, reader.take(4 * n_cells, "grid"))
    read_fields(reader, MAZE_STEPS, values)
    if reader.int32("end marker") & 0xFFFFFFFF != END_OF_BUFFER:
        raise ValueError("procgen state corrupt: the end-of-buffer marker is missing")
    if reader.offset != len(reader.data):
        raise ValueError(f"procgen state has {len(reader.data) - reader.offset} bytes after its end")
    return ProcgenState(values, tuple(entities), grid.reshape(height, width))


def check_fields(values: Mapping[str, Any], floats: tuple[str, ...], required: Mapping[str, Any],
                 what: str) -> None:
    """Raise ``ValueError`` unless the ``floats`` are finite and the ``required`` values hold."""
    for name in floats:
        if not math.isfinite(values[name]):
            raise ValueError(f"procgen state {what} {name} is {values[name]}, not a finite number")
    for name, expected in required.items():
        if values[name] != expected:
            raise ValueError(f"procgen state {what} {name} is {values[name]}, must be {expected}")


def check_state(state: ProcgenState) -> None:
    """Raise ``ValueError`` unless procgen can load and run ``state`` without exiting or hanging.

    Beyond the layout, procgen trusts the bytes: these checks cover the fields that reach an
    ``fassert``, an out-of-range lookup, an unbounded loop or the maze's rules.
    """
    v = state.values
    missing = FIELD_NAMES - set(v)
    if missing:
        raise ValueError(f"procgen state lacks fields {sorted(missing)}")
    if v["serialize_version"] != SERIALIZE_VERSION or v["game_name"] != GAME_NAME:
        raise ValueError("procgen state is not a version-0 maze state")
    check_fields(v, FLOAT_NAMES, REQUIRED_VALUES, "field")
    world = WORLD_DIMS.get(v["distribution_mode"])
    if world is None:
        raise ValueError(f"procgen state has distribution mode {v['distribution_mode']}; "
                         f"supported: {sorted(WORLD_DIMS)} (easy, hard)")
    sides = (v["main_height"], v["main_width"], v["world_dim"], v["grid_size"])
    if sides != (world, world, world, world * world) or state.grid.shape != (world, world):
        raise ValueError(f"procgen state's world sides {sides} and grid {state.grid.shape} do not "
                         f"match its distribution mode (world {world})")
    grid = state.grid
    if not ((grid == GOAL) | (grid == WALL_OBJ) | (grid == SPACE)).all():
        raise ValueError(f"procgen state's grid holds objects other than {GRID_OBJECTS}")
    if not 0 <= v["background_index"] < NUM_BACKGROUNDS:
        raise ValueError(f"procgen state background_index {v['background_index']} is not in "
                         f"0..{NUM_BACKGROUNDS - 1}")
    if v["level_seed_low"] >= v["level_seed_high"]:
        raise ValueError("procgen state's level seed range is empty")
    for name in ("level_seed_rand_gen", "rand_gen"):
        if v[name][0] != 1:  # drawing from an unseeded RandGen is an fassert
            raise ValueError(f"procgen state's random generator {name} is not seeded")
    if len(state.entities) != 1:
        raise ValueError(f"a maze state has exactly one entity, the mouse; got {len(state.entities)}")
    agent = state.agent
    check_fields(agent, ENTITY_FLOAT_NAMES, REQUIRED_AGENT, "mouse field")
    if not (0 < agent["x"] < world and 0 < agent["y"] < world):
        raise ValueError(f"procgen state's mouse at ({agent['x']}, {agent['y']}) is off the world")


def to_cell(x: int, y: int, world: int) -> Cell:
    """procgen grid ``(x, y)`` (y up) to the project's ``(row, col)`` (row 0 on top)."""
    return (world - 1 - y, x)


def to_maze(state: ProcgenState) -> Maze:
    """The project's :class:`Maze` of a state: walls, mouse, cheese, maze size and level seed."""
    world = state.world_size
    agent = state.agent
    x, y = agent["x"] - 0.5, agent["y"] - 0.5
    if x != int(x) or y != int(y):
        raise ValueError(f"the mouse at ({agent['x']}, {agent['y']}) is not at a cell centre")
    goals = np.argwhere(state.grid == GOAL)
    if len(goals) != 1:
        raise ValueError(f"a maze state holds one cheese; this one holds {len(goals)}")
    size = state.values["maze_dim"]
    if size % 2 == 0 or not 3 <= size <= world:
        raise ValueError(f"procgen state's maze_dim {size} is not an odd side from 3 to {world}")
    (gy, gx), = goals
    return Maze(
        walls=np.flipud(state.grid == WALL_OBJ),
        mouse=to_cell(int(x), int(y), world),
        cheese=to_cell(int(gx), int(gy), world),
        size=size,
        level_seed=state.values["current_level_seed"],
    )


def with_maze(state: ProcgenState, maze: Maze) -> ProcgenState:
    """``state`` showing ``maze``: its walls, cheese, mouse, maze size and (if set) level seed.

    Everything else (background, timers, random generators, the mouse's facing) is kept, so a
    maze written at an episode's start plays a fresh episode of that maze.
    """
    world = state.world_size
    if maze.world_size != world:
        raise ValueError(f"cannot write a {maze.world_size}x{maze.world_size} maze into a procgen "
                         f"state whose world is {world}x{world}")
    grid = np.where(np.flipud(maze.walls), WALL_OBJ, SPACE).astype(np.int32)
    grid[world - 1 - maze.cheese[0], maze.cheese[1]] = GOAL
    row, col = maze.mouse
    values: dict[str, Any] = {"maze_dim": maze.size}
    if maze.level_seed is not None:
        if not 0 <= maze.level_seed < 2**31:
            raise ValueError(f"level seed {maze.level_seed} does not fit procgen's int32")
        values["current_level_seed"] = maze.level_seed
    entity = {"x": col + 0.5, "y": world - 1 - row + 0.5}
    return state.replace(entity=entity, grid=grid, **values)

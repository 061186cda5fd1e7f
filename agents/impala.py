"""The IMPALA CNN (Espeholt et al. 2018) as a stable-baselines3 features extractor.

Three stacks of conv -> max-pool (stride 2) -> two residual blocks, channels 16/32/32 x ``scale``,
then a ReLU'd linear layer (over the last map flattened, or ``pooled_head``: averaged to a 2x2 grid first,
so the layer's size does not depend on the world's); optionally (``full_res_blocks``) residual blocks between the first
stack's conv and its max-pool, at the observation's full resolution. Each residual addition is its
own module (``stacks.{i}.res{j}.add``, ``stacks.0.pre{j}.add``), so analysis can hook the residual
stream with ``register_forward_hook``.
"""

from __future__ import annotations

import gymnasium as gym
import torch
import torch.nn.functional as F
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from cheesemaze.envs.render import WALL

BASE_CHANNELS = (16, 32, 32)
POOLED_GRID = 2
"""Side of the grid a pooled head averages the last map to (see ``ImpalaCNN``'s ``pooled_head``)."""
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}
"""The conv stacks' compute precision: None runs them in float32, a dtype under autocast to it."""


class ResidualAdd(nn.Module):
    """``x + y`` as a module, so a forward hook can read the residual stream after the addition."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class Conv3x3(nn.Conv2d):
    """A 3x3, stride-1, padding-1 ``nn.Conv2d`` (same parameters, state dict and function) that on the
    CPU computes maps of at most 2x2 cells as one matrix product.

    On such a map every output cell sees every input cell through the kernel, so the convolution is a
    dense linear map from the H*W*C_in inputs to the H*W*C_out outputs whose blocks are kernel taps.
    torch's CPU convolution is slow there: on the 2x2 maps of the third IMPALA stack of a 15x15 grid
    (32 channels, one thread) its forward plus backward took ~4.1 ms on a minibatch of 256, its
    backward ~7x its forward; the matrix product takes ~0.8 ms (and 0.10 against 0.24 ms forward on
    the 64 observations of a rollout step). Larger maps, and other devices, use the convolution.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1)
        self._taps: dict[tuple[int, int], torch.Tensor] = {}

    def tap_index(self, height: int, width: int) -> torch.Tensor:
        """The kernel tap (0..8, row-major) linking output cell p to input cell q, at p * H*W + q."""
        key = (height, width)
        if key not in self._taps:
            cells = [(y, x) for y in range(height) for x in range(width)]
            self._taps[key] = torch.tensor([(qy - py + 1) * 3 + (qx - px + 1)
                                            for py, px in cells for qy, qx in cells])
        return self._taps[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        if x.device.type != "cpu" or height > 2 or width > 2:
            return super().forward(x)
        cells, c_in, c_out = height * width, self.in_channels, self.out_channels
        taps = self.weight.permute(2, 3, 0, 1).reshape(9, c_out, c_in)
        dense = taps[self.tap_index(height, width)].view(cells, cells, c_out, c_in)  # [p, q, out, in]
        dense = dense.transpose(1, 2).reshape(cells * c_out, cells * c_in)
        inputs = x.permute(0, 2, 3, 1).reshape(batch, cells * c_in)  # cell-major, as NHWC
        y = inputs @ dense.t()  # under autocast in its dtype, as the convolution would be
        y = y.view(batch, height, width, c_out) + self.bias.to(y.dtype)
        return y.permute(0, 3, 1, 2)  # NCHW shape, channels-last strides


class EdgeWallConv(nn.Conv2d):
    """A 3x3, stride-1 convolution over grid observations whose padding ring reads as wall: 1 in the
    wall channel, 0 in the others, where ``nn.Conv2d``'s zero padding reads as open floor
    (``PPOConfig.edge_walls``). Same parameters and state dict as the zero-padded convolution."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1)
        self._rings: dict[tuple, torch.Tensor] = {}

    def ring(self, x: torch.Tensor) -> torch.Tensor:
        """The padding ring to add to ``x`` zero-padded: 1 in the wall channel on the border (made once per
        shape, dtype and device; every rollout step and minibatch has the same)."""
        _, channels, height, width = x.shape
        key = (channels, height, width, x.dtype, x.device)
        if key not in self._rings:
            ring = torch.zeros(1, channels, height + 2, width + 2, dtype=x.dtype, device=x.device)
            ring[0, WALL] = 1
            ring[0, WALL, 1:-1, 1:-1] = 0
            self._rings[key] = ring
        return self._rings[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded = F.pad(x, (1, 1, 1, 1)) + self.ring(x)
        if x.is_contiguous(memory_format=torch.channels_last):
            padded = padded.contiguous(memory_format=torch.channels_last)
        return F.conv2d(padded, self.weight, self.bias)


class ResidualBlock(nn.Module):
    """``x + conv1(relu(conv0(relu(x))))``; ``hidden`` channels between the two convs (0: as x)."""

    def __init__(self, channels: int, hidden: int = 0) -> None:
        super().__init__()
        hidden = hidden or channels
        self.conv0 = Conv3x3(channels, hidden)
        self.conv1 = Conv3x3(hidden, channels)
        self.add = ResidualAdd()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(torch.relu(self.conv0(torch.relu(x))))
        return self.add(x, y)


class ConvStack(nn.Module):
    """conv -> ``pre_blocks`` residual blocks (``pre{j}``, at the input's resolution, ``pre_width``
    hidden channels) -> max-pool -> residual blocks ``res0``, ``res1``."""

    def __init__(self, in_channels: int, out_channels: int, pre_blocks: int = 0, pre_width: int = 0,
                 edge_walls: bool = False) -> None:
        super().__init__()
        if edge_walls:
            self.conv = EdgeWallConv(in_channels, out_channels)
        else:
            self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        for j in range(pre_blocks):
            self.add_module(f"pre{j}", ResidualBlock(out_channels, pre_width))
        self.pre_blocks = pre_blocks
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.res0 = ResidualBlock(out_channels)
        self.res1 = ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        for j in range(self.pre_blocks):
            x = getattr(self, f"pre{j}")(x)
        return self.res1(self.res0(self.pool(x)))


def pooled_size(size: int) -> int:
    """Spatial size after one 3x3, stride-2, padding-1 max-pool."""
    return (size - 1) // 2 + 1


class ImpalaCNN(BaseFeaturesExtractor):
    """IMPALA features over channels-first observations (grid channels or a transposed RGB frame).

    :param observation_space: a (C, H, W) Box; SB3 transposes and scales RGB images before this.
    :param scale: channel multiplier (1 gives 16/32/32; the studied network used 4).
    :param features_dim: width of the final linear layer.
    :param upsample: draw each input pixel as ``upsample`` x ``upsample`` pixels first. On grid
        observations (one pixel per cell) the first max-pool would otherwise merge neighbouring cells
        and blur the walls; procgen's 64x64 frame shows a cell as 2.5-4 pixels.
    :param full_res_blocks: residual blocks in the first stack before its max-pool, at the input's
        full resolution (``stacks.0.pre{j}``): on grid observations they read every wall before the
        pool merges neighbouring cells.
    :param full_res_width: channels between those blocks' two convolutions (0: the stack's own).
    :param precision: ``"bfloat16"`` runs the three conv stacks under bfloat16 autocast (the residual
        stream a hook reads is then bfloat16: call ``.float()`` before ``.numpy()``); the final linear
        layer, and so the policy and value heads, stay float32. ``"float32"``: everything float32.
    :param pooled_head: average the last map to a ``POOLED_GRID`` x ``POOLED_GRID`` grid before the
        linear layer, whose size then no longer depends on the observation's (``PPOConfig.pooled_head``
        says why 2x2). False: flatten the map, as the studied network does.
    :param edge_walls: the first stack's convolution reads the world's edge as wall (``EdgeWallConv``);
        grid observations only.
    """

    def __init__(self, observation_space: gym.spaces.Box, scale: float = 1.0, features_dim: int = 256,
                 upsample: int = 1, precision: str = "float32", full_res_blocks: int = 0,
                 full_res_width: int = 0, pooled_head: bool = False, edge_walls: bool = False) -> None:
        super().__init__(observation_space, features_dim)
        if scale <= 0:
            raise ValueError(f"IMPALA scale must be positive; got {scale}")
        if upsample < 1:
            raise ValueError(f"upsample must be a positive integer; got {upsample}")
        if full_res_blocks < 0:
            raise ValueError(f"full_res_blocks must be >= 0; got {full_res_blocks}")
        if full_res_width < 0:
            raise ValueError(f"full_res_width must be >= 0 (0: the stack's width); got {full_res_width}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
        self.upsample = upsample
        self.autocast_dtype = PRECISIONS[precision]
        self.channels_last = True  # CPU forward pass in channels-last layout (see forward); False: NCHW
        channels = [max(1, round(c * scale)) for c in BASE_CHANNELS]
        in_channels, height, width = observation_space.shape
        height, width = height * upsample, width * upsample
        stacks = []
        for i, out_channels in enumerate(channels):
            pre_blocks = full_res_blocks if i == 0 else 0
            stacks.append(ConvStack(in_channels, out_channels, pre_blocks, full_res_width,
                                    edge_walls=edge_walls and i == 0))
            in_channels, height, width = out_channels, pooled_size(height), pooled_size(width)
        self.stacks = nn.Sequential(*stacks)
        # No parameters: the state dict's keys are the flatten head's, only fc's input width can differ.
        self.head_pool = nn.AdaptiveAvgPool2d(POOLED_GRID) if pooled_head else None
        if pooled_head:
            height = width = POOLED_GRID
        self.fc = nn.Linear(in_channels * height * width, features_dim)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        x = observations.float()
        if self.upsample > 1:
            x = x.repeat_interleave(self.upsample, dim=2).repeat_interleave(self.upsample, dim=3)
        if self.channels_last and x.device.type == "cpu":
            # Channels-last activations: on the CPU, max-pool runs ~10x and a conv's backward ~1.4x
            # faster on these small maps than in NCHW (benchmarks/bench_training.py). Outputs, the
            # values hooks read (their tensors carry channels-last strides) and the weights' layout
            # are unchanged.
            x = x.contiguous(memory_format=torch.channels_last)
        if self.autocast_dtype is None:
            x = self.stacks(x)
        else:
            with torch.autocast(x.device.type, dtype=self.autocast_dtype):
                x = self.stacks(x).float()
        x = torch.relu(x)
        if self.head_pool is not None:
            x = self.head_pool(x)
        return torch.relu(self.fc(x.flatten(1)))

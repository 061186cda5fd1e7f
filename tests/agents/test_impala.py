"""The IMPALA extractor: shapes for every observation kind, hookable residual additions."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from cheesemaze.agents.impala import ImpalaCNN, MaxPool, ResidualAdd, mouse_window
from cheesemaze.envs.render import CHEESE, MOUSE, WALL


@pytest.mark.parametrize("shape", [(3, 15, 15), (3, 25, 25), (3, 64, 64)])
@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_features_have_the_configured_width(shape, scale):
    space = gym.spaces.Box(0, 255, shape, np.uint8)
    net = ImpalaCNN(space, scale=scale, features_dim=64)
    out = net(torch.zeros((2, *shape)))
    assert out.shape == (2, 64)
    assert [s.conv.out_channels for s in net.stacks] == [round(c * scale) for c in (16, 32, 32)]


def test_residual_additions_are_named_modules_that_hooks_can_read():
    net = ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8))
    names = [name for name, module in net.named_modules() if isinstance(module, ResidualAdd)]
    assert names == [f"stacks.{i}.res{j}.add" for i in range(3) for j in range(2)]
    seen = {}
    module = dict(net.named_modules())["stacks.1.res0.add"]

    def record(module, args, output):
        seen["shape"] = output.shape

    module.register_forward_hook(record)
    net(torch.rand((4, 3, 15, 15)))
    assert seen["shape"] == (4, 32, 4, 4)


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scale"):
        ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8), scale=0)


def test_channels_last_layout_is_internal_to_the_forward_pass():
    torch.manual_seed(0)
    net = ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8))
    x = (torch.rand((8, 3, 15, 15)) > 0.5).float()
    seen = {}
    hook = dict(net.named_modules())["stacks.0.res1.add"]
    hook.register_forward_hook(lambda module, args, out: seen.update(out=out))
    out = net(x)
    hooked = seen["out"].detach().numpy().copy()
    stack0 = net.stacks[0](x)  # the same layers, all in the default (NCHW) layout
    reference = torch.relu(net.fc(torch.relu(net.stacks[2](net.stacks[1](stack0))).flatten(1)))
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hooked, stack0.detach().numpy(), rtol=1e-5, atol=1e-5)
    net.channels_last = False
    torch.testing.assert_close(net(x), out, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(16, 16, 15, 15), (16, 32, 8, 8), (4, 8, 25, 25)])
@pytest.mark.parametrize("binary", [False, True])
def test_max_pool_backward_matches_torch_exactly(shape, binary):
    # Binary inputs make ties common: the gradient must still go to the input torch's index names.
    torch.manual_seed(0)
    x = (torch.rand(shape) > 0.5).float() if binary else torch.randn(shape)
    x = x.contiguous(memory_format=torch.channels_last)
    grads = []
    for pool in (MaxPool(), torch.nn.MaxPool2d(3, stride=2, padding=1)):
        leaf = x.clone().requires_grad_()
        y = pool(leaf)
        y.backward(torch.arange(y.numel(), dtype=torch.float32).reshape(y.shape))
        grads.append((y.detach(), leaf.grad))
    (y, grad), (y_ref, grad_ref) = grads
    assert torch.equal(y, y_ref)
    assert torch.equal(grad, grad_ref)
    assert grad.abs().sum() > 0


def test_mouse_window_reads_walls_and_cheese_around_the_mouse():
    grid = torch.zeros((2, 3, 5, 5))
    grid[:, WALL, 0, :] = 255  # top row of walls
    grid[0, MOUSE, 0, 1] = 255  # mouse 0 in that row (a test world; any cell works)
    grid[0, CHEESE, 1, 2] = 255  # cheese below-right of mouse 0
    grid[1, MOUSE, 4, 4] = 255  # mouse 1 in the bottom-right corner
    window = mouse_window(grid, 1).reshape(2, 2, 3, 3)
    walls, cheese = window[:, 0], window[:, 1]
    assert walls[0].tolist() == [[1, 1, 1], [1, 1, 1], [0, 0, 0]]  # above the world counts as wall
    assert cheese[0].tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert walls[1].tolist() == [[0, 0, 1], [0, 0, 1], [1, 1, 1]]  # right of and below the world
    assert cheese[1].sum() == 0


def test_local_view_feeds_the_window_to_the_final_layer():
    space = gym.spaces.Box(0, 255, (3, 15, 15), np.uint8)
    torch.manual_seed(0)
    net = ImpalaCNN(space, features_dim=64, local_view=2)
    assert net.fc.in_features == 32 * 2 * 2 + 2 * 5 * 5
    grid = torch.zeros((2, 3, 15, 15))
    grid[:, MOUSE, 14, 0] = 255
    grid[1, WALL, 13, 0] = 255  # a wall right above mouse 1 only
    seen = {}
    net.fc.register_forward_hook(lambda module, args, out: seen.update(inputs=args[0]))
    assert net(grid).shape == (2, 64)
    torch.testing.assert_close(seen["inputs"][:, -50:], mouse_window(grid, 2))
    assert seen["inputs"][1, -50:].reshape(2, 5, 5)[0, 1, 2] == 1  # the wall above the mouse
    with pytest.raises(ValueError, match="local_view"):
        ImpalaCNN(gym.spaces.Box(0, 255, (4, 15, 15), np.uint8), local_view=1)

"""The IMPALA extractor: shapes for every observation kind, hookable residual additions, bfloat16,
the small-map convolution, the edge-walled first convolution."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch

import torch.nn.functional as F

from cheesemaze.agents.impala import Conv3x3, EdgeWallConv, ImpalaCNN, ResidualAdd
from cheesemaze.envs.render import WALL


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


def test_full_res_blocks_run_before_the_first_pool_at_the_input_resolution():
    net = ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8), features_dim=32, full_res_blocks=2)
    names = [name for name, module in net.named_modules() if isinstance(module, ResidualAdd)]
    assert names[:2] == ["stacks.0.pre0.add", "stacks.0.pre1.add"]
    assert names[2:] == [f"stacks.{i}.res{j}.add" for i in range(3) for j in range(2)]
    shapes = {}
    for name in ("stacks.0.pre1.add", "stacks.0.res0.add"):
        dict(net.named_modules())[name].register_forward_hook(
            lambda module, args, output, name=name: shapes.__setitem__(name, output.shape))
    assert net(torch.rand((2, 3, 15, 15))).shape == (2, 32)
    assert shapes == {"stacks.0.pre1.add": (2, 16, 15, 15), "stacks.0.res0.add": (2, 16, 8, 8)}
    with pytest.raises(ValueError, match="full_res_blocks"):
        ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8), full_res_blocks=-1)


def test_full_res_width_narrows_only_the_blocks_hidden_layer():
    space = gym.spaces.Box(0, 1, (3, 15, 15), np.uint8)
    net = ImpalaCNN(space, features_dim=32, full_res_blocks=1, full_res_width=8)
    block = net.stacks[0].pre0
    assert (block.conv0.in_channels, block.conv0.out_channels) == (16, 8)
    assert (block.conv1.in_channels, block.conv1.out_channels) == (8, 16)
    assert net.stacks[0].res0.conv0.out_channels == 16  # the pooled blocks keep the stack's width
    wide = ImpalaCNN(space, features_dim=32, full_res_blocks=1)
    assert wide.stacks[0].pre0.conv0.out_channels == 16
    assert sum(p.numel() for p in net.parameters()) < sum(p.numel() for p in wide.parameters())
    assert net(torch.rand((2, 3, 15, 15))).shape == (2, 32)
    with pytest.raises(ValueError, match="full_res_width"):
        ImpalaCNN(space, full_res_blocks=1, full_res_width=-1)


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


def test_bfloat16_precision_runs_the_conv_stacks_in_bfloat16_and_the_rest_in_float32():
    torch.manual_seed(0)
    space = gym.spaces.Box(0, 1, (3, 15, 15), np.uint8)
    full, half = ImpalaCNN(space), ImpalaCNN(space, precision="bfloat16")
    half.load_state_dict(full.state_dict())
    seen = {}
    dict(half.named_modules())["stacks.2.res1.add"].register_forward_hook(
        lambda module, args, out: seen.update(dtype=out.dtype))
    x = (torch.rand((32, 3, 15, 15)) > 0.5).float()
    out_full, out_half = full(x), half(x)
    assert seen["dtype"] == torch.bfloat16
    assert out_half.dtype == torch.float32
    assert not torch.equal(out_half, out_full)  # rounded differently ...
    torch.testing.assert_close(out_half, out_full, rtol=0.05, atol=0.02)  # ... but the same network
    out_half.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in half.parameters())
    assert half.stacks[0].conv.weight.grad.abs().sum() > 0


def test_precision_must_be_known():
    with pytest.raises(ValueError, match="precision"):
        ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8), precision="float16")


@pytest.mark.parametrize("size", [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (4, 4)])
@pytest.mark.parametrize("layout", [torch.channels_last, torch.contiguous_format])
def test_conv3x3_computes_torchs_convolution_and_its_gradients(size, layout):
    torch.manual_seed(0)
    conv = Conv3x3(6, 5)
    x = torch.randn(7, 6, *size).contiguous(memory_format=layout).requires_grad_()
    out = conv(x)
    reference = F.conv2d(x, conv.weight, conv.bias, padding=1)
    assert out.shape == reference.shape == (7, 5, *size)
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(reference)
    got = torch.autograd.grad(out, (x, conv.weight, conv.bias), grad)
    expected = torch.autograd.grad(reference, (x, conv.weight, conv.bias), grad)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)


def test_conv3x3_keeps_the_conv2d_parameters_and_runs_the_impala_third_stack_on_2x2_maps():
    conv, plain = Conv3x3(4, 8), torch.nn.Conv2d(4, 8, 3, padding=1)
    assert {k: v.shape for k, v in conv.state_dict().items()} == {k: v.shape for k, v in plain.state_dict().items()}
    net = ImpalaCNN(gym.spaces.Box(0, 1, (3, 15, 15), np.uint8))
    seen = {}
    net.stacks[2].res0.conv0.register_forward_hook(lambda module, args, out: seen.update(shape=args[0].shape))
    x = (torch.rand((3, 3, 15, 15)) > 0.5).float()
    out = net(x)
    assert seen["shape"] == (3, 32, 2, 2)  # the map on which Conv3x3 takes its matrix product
    with torch.no_grad():  # the same network with torch's convolution everywhere
        stacks = [net.stacks[i] for i in range(3)]
        y = x
        for stack in stacks:
            y = stack.pool(stack.conv(y))
            for block in (stack.res0, stack.res1):
                h = F.conv2d(torch.relu(y), block.conv0.weight, block.conv0.bias, padding=1)
                y = y + F.conv2d(torch.relu(h), block.conv1.weight, block.conv1.bias, padding=1)
        reference = torch.relu(net.fc(torch.relu(y).flatten(1)))
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-5)


def test_a_pooled_head_has_the_same_parameters_at_every_world_size():
    nets = {size: ImpalaCNN(gym.spaces.Box(0, 1, (3, size, size), np.uint8), features_dim=32, pooled_head=True)
            for size in (15, 25)}
    shapes = [{k: v.shape for k, v in net.state_dict().items()} for net in nets.values()]
    assert shapes[0] == shapes[1]
    assert nets[25].fc.in_features == 32 * 2 * 2
    for size, net in nets.items():
        assert net(torch.rand((2, 3, size, size))).shape == (2, 32)


def test_the_pooled_head_is_the_flattened_head_where_the_last_map_is_2x2():
    # world 15 -> 8 -> 4 -> 2: pooling a 2x2 map to 2x2 changes nothing, so the weights carry over
    space = gym.spaces.Box(0, 1, (3, 15, 15), np.uint8)
    flat = ImpalaCNN(space, features_dim=32)
    pooled = ImpalaCNN(space, features_dim=32, pooled_head=True)
    pooled.load_state_dict(flat.state_dict())
    x = torch.rand((4, 3, 15, 15))
    assert torch.equal(flat(x), pooled(x))


def test_the_default_head_flattens_and_grows_with_the_world():
    net = ImpalaCNN(gym.spaces.Box(0, 1, (3, 25, 25), np.uint8), features_dim=32)
    assert net.head_pool is None and net.fc.in_features == 32 * 4 * 4
    keys = [k for k in net.state_dict() if not k.startswith("stacks.")]
    assert keys == ["fc.weight", "fc.bias"]


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("channels", [3, 4])  # 4: the trap channel, dark at the edge
def test_edge_walls_convolve_the_grid_as_if_a_ring_of_wall_cells_surrounded_it(layout, channels):
    torch.manual_seed(0)
    conv = EdgeWallConv(channels, 8)
    x = (torch.rand((4, channels, 15, 15)) < 0.3).float()
    walled = torch.zeros((4, channels, 17, 17))
    walled[:, WALL] = 1
    walled[:, :, 1:-1, 1:-1] = x  # the same maze with wall cells drawn around the world
    out = conv(x.contiguous(memory_format=layout))
    torch.testing.assert_close(out, F.conv2d(walled, conv.weight, conv.bias), rtol=1e-5, atol=1e-5)
    zero_padded = F.conv2d(x, conv.weight, conv.bias, padding=1)
    inside = (slice(None), slice(None), slice(1, -1), slice(1, -1))
    torch.testing.assert_close(out[inside], zero_padded[inside], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(out[..., 0, :], zero_padded[..., 0, :])  # the edge reads differently


def test_edge_walls_change_only_the_first_convolution_and_keep_every_parameter():
    space = gym.spaces.Box(0, 1, (3, 15, 15), np.uint8)
    plain = ImpalaCNN(space, features_dim=32, full_res_blocks=1)
    walled = ImpalaCNN(space, features_dim=32, full_res_blocks=1, edge_walls=True)
    walled.load_state_dict(plain.state_dict())  # same keys and shapes: an agent's weights load either way
    assert isinstance(walled.stacks[0].conv, EdgeWallConv)
    assert [type(s.conv) for s in walled.stacks[1:]] == [torch.nn.Conv2d] * 2
    full = (torch.rand((2, 3, 15, 15)) < 0.3).float()  # a maze that fills the world
    assert not torch.allclose(plain(full), walled(full))


def test_edge_walls_on_an_upsampled_grid_see_one_wall_pixel_beyond_the_edge():
    space = gym.spaces.Box(0, 1, (3, 7, 7), np.uint8)
    net = ImpalaCNN(space, features_dim=16, upsample=2, edge_walls=True)
    seen = {}
    net.stacks[0].conv.register_forward_hook(lambda module, args, output: seen.update(out=output))
    x = (torch.rand((2, 3, 7, 7)) < 0.3).float()
    net(x)
    big = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    walled = torch.zeros((2, 3, 16, 16))
    walled[:, WALL] = 1
    walled[:, :, 1:-1, 1:-1] = big
    conv = net.stacks[0].conv
    torch.testing.assert_close(seen["out"], F.conv2d(walled, conv.weight, conv.bias), rtol=1e-5, atol=1e-5)


def test_the_presets_build_the_edge_walled_network_and_older_configs_the_zero_padded_one():
    from cheesemaze.agents.config import CPU_EASY, PRESETS
    from cheesemaze.agents.policy import build_policy

    for config in (CPU_EASY, PRESETS["cpu-hard"]):
        stacks = build_policy(config.with_precision("float32")).features_extractor.stacks
        assert isinstance(stacks[0].conv, EdgeWallConv)
    old = dataclasses.replace(CPU_EASY.ppo, edge_walls=False, precision="float32")
    stacks = build_policy(dataclasses.replace(CPU_EASY, ppo=old)).features_extractor.stacks
    assert not isinstance(stacks[0].conv, EdgeWallConv)

"""The IMPALA extractor: shapes for every observation kind, hookable residual additions."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from cheesemaze.agents.impala import ImpalaCNN, MaxPool, ResidualAdd


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
        y.backward(torch.randn(y.shape, generator=torch.Generator().manual_seed(1)))
        grads.append((y, leaf.grad))
    (y, grad), (y_ref, grad_ref) = grads
    assert type(y.grad_fn).__name__ == "_MaxPoolFunctionBackward"  # the custom backward ran
    assert torch.equal(y, y_ref)
    assert torch.equal(grad, grad_ref)
    assert grad.abs().sum() > 0

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from style_core import features
from style_core.features import VGG19_LAYERS, VGGFeatures, WinogradConv, get_extractor, winograd_available
from style_core.weights import load_weights

LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1")
needs_winograd = pytest.mark.skipif(not winograd_available(), reason="this PyTorch's NNPACK does not work on this CPU")


def _conv(cin: int, cout: int, seed: int) -> nn.Conv2d:
    torch.manual_seed(seed)
    return nn.Conv2d(cin, cout, 3, padding=1).requires_grad_(False)


@needs_winograd
@pytest.mark.parametrize("cin, cout, height, width", [(3, 64, 40, 52), (64, 32, 33, 47), (128, 128, 32, 32)])
def test_winograd_conv_matches_the_direct_one_in_values_and_input_gradient(cin, cout, height, width):
    conv = _conv(cin, cout, seed=cin)
    x = torch.rand(1, cin, height, width, generator=torch.Generator().manual_seed(1), requires_grad=True)
    fast = WinogradConv(conv)(x)
    weights = torch.rand_like(fast)  # a loss whose gradient differs at every output position
    (fast_grad,) = torch.autograd.grad((fast * weights).sum(), x)
    direct = conv(x)
    (direct_grad,) = torch.autograd.grad((direct * weights).sum(), x)
    assert not torch.equal(fast, direct)  # it is another algorithm, not the direct convolution under a new name
    torch.testing.assert_close(fast, direct, rtol=1e-4, atol=1e-4 * direct.abs().max().item())
    torch.testing.assert_close(fast_grad, direct_grad, rtol=1e-4, atol=1e-4 * direct_grad.abs().max().item())


@needs_winograd
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("height, width", [(40, 52), (20, 24)])  # Winograd's, and the direct convolution's
def test_a_padded_border_is_convolved_as_torch_pads_it(height, width, mode):
    conv = _conv(64, 32, seed=3)
    x = torch.rand(1, 64, height, width, generator=torch.Generator().manual_seed(4), requires_grad=True)
    ours = WinogradConv(conv, edge=mode)(x)
    weights = torch.rand_like(ours)
    (our_grad,) = torch.autograd.grad((ours * weights).sum(), x)
    theirs = F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), conv.weight, conv.bias)
    (their_grad,) = torch.autograd.grad((theirs * weights).sum(), x)
    assert ours.shape == theirs.shape == (1, 32, height, width)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4 * theirs.abs().max().item())
    torch.testing.assert_close(our_grad, their_grad, rtol=1e-4, atol=1e-4 * their_grad.abs().max().item())
    assert not torch.allclose(ours, conv(x))  # zero padding would differ along the border
    with torch.autocast("cpu", dtype=torch.bfloat16):  # bf16 (a GPU's) pads a copy instead
        low = WinogradConv(conv, edge=mode)(x)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), theirs, rtol=0.05, atol=0.02 * theirs.abs().max().item())


@needs_winograd
def test_small_inputs_and_autocast_take_the_direct_convolution():
    conv = _conv(16, 16, seed=0)
    small = torch.rand(1, 16, 24, 32)  # 768 px, under WINOGRAD_MIN_PIXELS
    assert small.shape[-1] * small.shape[-2] < features.WINOGRAD_MIN_PIXELS
    assert torch.equal(WinogradConv(conv)(small), conv(small))
    large = torch.rand(1, 16, 48, 64)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert WinogradConv(conv)(large).dtype == conv(large).dtype == torch.bfloat16


@needs_winograd
def test_a_run_uses_winograd_on_the_cpu_and_the_ruler_the_direct_convolution():
    fast = get_extractor("caffe", torch.device("cpu"), "avg", LAYERS)
    exact = get_extractor("caffe", torch.device("cpu"), "avg", LAYERS, exact=True)
    assert sum(isinstance(m, WinogradConv) for m in fast.layers) == 13  # conv1_1 .. conv5_1
    assert not any(isinstance(m, WinogradConv) for m in exact.layers)  # zero padding, as VGG was trained
    edges = [m.edge for m in fast.layers if isinstance(m, WinogradConv)]
    assert edges == ["replicate"] * features.EDGE_CONVS + ["zeros"] * (13 - features.EDGE_CONVS)
    direct = VGGFeatures(*load_weights("caffe"), VGG19_LAYERS["relu5_1"], "avg", winograd=False, edge="replicate")
    rgb = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(2), requires_grad=True)
    ours, theirs = fast(rgb, LAYERS), direct(rgb, LAYERS)
    zeros = exact(rgb, LAYERS)["relu5_1"]
    assert (zeros - theirs["relu5_1"]).norm() > 0.01 * zeros.norm()  # the ruler's border differs
    for name in LAYERS:  # features within 1e-4 of the direct ones' size after up to 13 layers
        assert (ours[name] - theirs[name]).norm() < 1e-4 * theirs[name].norm(), name
    (ours_grad,) = torch.autograd.grad(sum(v.square().mean() for v in ours.values()), rgb)
    (their_grad,) = torch.autograd.grad(sum(v.square().mean() for v in theirs.values()), rgb)
    assert (ours_grad - their_grad).norm() < 1e-3 * their_grad.norm()


def test_winograd_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(features, "WINOGRAD", False)
    features.winograd_available.cache_clear()
    try:
        assert not winograd_available()
    finally:
        features.winograd_available.cache_clear()

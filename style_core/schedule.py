"""The plan of a run: its scales, the steps or seconds each gets, and what a step costs on this device.

A run paints coarse to fine: each scale twice the previous, most of the work at low resolution
where it is cheap. It is planned either by steps (``steps`` > 0: the same steps and seed give the
same picture) or by time (``steps`` = 0: each scale gets a share of ``seconds`` and runs steps until
its share is spent, so the run ends on time whatever the device).

Below the finest scale the deepest style layers are left out, one per octave (``stage_layers``).
At 128 px relu5_1's receptive field spans the whole canvas, so matching it there imposes the
painting's composition on the photo's, which the finest scale cannot undo and a single-scale run
at 512 px never does; at 128 px relu3_1 sees about what relu5_1 sees at 512 px. Measured on six
pairs at 30 s (bench/bench_speed.py's ruler): nearer the naive run on all six, and coarse steps
cost 0.77 of a full one.

The content layer moves one block up per octave below the finest (``stage_content_layers``):
relu4_2 at 512 px, relu3_2 at 256, relu2_2 at 128. One pooling fewer per halving keeps its grid on
the picture the same (64 × 48 for a 512 × 384 result), so each scale holds the photo's structure
at the size the finest scale's relu4_2 measures; relu4_2 at 128 px held only the layout and let
the coarse scales paint over windows and edges that the 512 px steps then had to restore. The
coarse passes also end sooner (0.31 and 0.67 of a full one).

Planned by time, the finest scale opens with a brushwork pass (``brushwork``): a fifth of its time
on steps that match only the shallow style layers (those every scale keeps: relu1_1–relu3_1), with the
content held one block up (relu3_2), as on the scale below. Enlarging the coarse result blurs away the
finest octave of brushwork, and with it the statistics of every layer, relu5_1 included; the shallow
steps paint it back at about two thirds of the cost of a full step, and the full steps that follow
settle the deep layers from there. Six pairs at 30 s on 2 CPU cores (bench/bench_speed.py's ruler),
interleaved: worse-of-two ratio mean 1.49 -> 1.43, nearer on all six, in style and content alike. On
a CPU only: on a GPU a step's cost is mostly Python's, whatever its layers, and the pass is unmeasured.

A size above the device's screen size (``AUTO_SIZES``: 1024 px on a GPU, 512 px elsewhere) is a
print: the screen painting is made first, as a run at the screen size would make it, then each
octave above it (``print_sizes``) enlarges the picture and adds brushwork at its own resolution
(``Stage.print_pass``), after Gatys et al. 2017's coarse-to-fine high resolution. Brought down to the
screen size, the canvas keeps optimising the screen painting's objective (all its style layers, the
photo's content), so the composition, the stroke scale and the look are the screen painting's; at
the octave's own size only the shallow style layers are matched, with the painting at its own pixels
at most (it holds no finer brushwork; enlarged further, it holds none). Each octave gets as many steps
as the screen painting, or as much time (five times as much on a CPU: ``PRINT_TIME``).

The cost model says what a step costs: ``a + b × megapixels × work`` seconds (the pixels painted: the
picture and its margin, ``painted_pixels``), ``work`` being the
share of a full pass to relu5_1 that the stage's layers need, with a stage's set-up (its content
and style targets) about one step more (none for the full steps after a brushwork pass: their
targets are built with the pass's). It starts from figures measured on the
kinds of device DeepStyle runs on, and every finished stage refines ``b`` for this process's
device, so estimates (and the time left shown while painting) follow the machine actually used.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
from dataclasses import dataclass

from . import image_io
from .config import BLOCK_CHANNELS, BLOCK_CONVS, LAYER_NAMES, StyleConfig

# Share of the steps (plan by steps) or of the seconds (plan by time) each scale gets, coarse to
# fine, by number of scales. By time the finest scale gets most: its steps are where the brushwork
# at full resolution is painted, and where the ruler's style and content distances fall the most per
# second (bench/bench_speed.py); the coarse scales only need to settle the composition. Three scales
# by time: 0.12 / 0.1 / 0.78 of the time (was 0.2 / 0.15 / 0.65), measured on six pairs at 30 s,
# interleaved: worse-of-two ratio mean 1.44 -> 1.39, worst 1.58 -> 1.51, nearer on all six, style and
# content alike (both still fall at a 30 s run's last 512 px step); at 10 s level (2.79 against 2.84).
STEP_SHARES = {1: (1.0,), 2: (0.7, 0.3), 3: (0.48, 0.355, 0.165), 4: (0.45, 0.27, 0.17, 0.11)}
TIME_SHARES = {1: (1.0,), 2: (0.35, 0.65), 3: (0.12, 0.1, 0.78), 4: (0.12, 0.1, 0.18, 0.6)}
SETUP_STEPS = 1.0  # a stage's set-up costs about one step
COARSE_MIN_LAYERS = 3  # style layers kept at every scale (relu1_1–relu3_1 by default: the brushwork)
# Planned by time with an automatic size: fewer steps than this at the finest scale, paint smaller.
# Three, not four: at 10 s on a 2-core CPU, 512 px with three or four finest steps is nearer the naive
# run than 448 px with more (six pairs: worse-of-two ratio 2.87 against 3.77, nearer on five).
MIN_FINEST_STEPS = 3
AUTO_SIZES = {"cuda": 1024}  # the size painted when none is asked for; elsewhere 512
AUTO_SECONDS = {"cuda": 5.0}  # the time painted for when none is asked for; elsewhere 30 s
SMALLER = (448, 384, 320, 256, 192)  # what an automatic size steps down through when time is short
BRUSHWORK_SHARE = 0.2  # by time: share of the finest scale's seconds spent first on its brushwork pass
# A brushwork step's cost against a full one at the same size: it needs only the network to relu3_2
# (0.41 of the multiply-adds), but its first two blocks, at full resolution, are bound by memory, not
# arithmetic (measured on 2 AVX2 cores at 512 × 384 px: 0.6–0.7 of a full step).
BRUSHWORK_WORK = 0.65
MIN_BRUSHWORK_STEPS = 2  # fewer expected brushwork steps than this (a short run): the finest scale has none
BRUSHWORK_DEVICES = ("cpu",)  # where the brushwork pass was measured to pay
# A print's octave, by time: its seconds against the screen painting's. On 2 CPU cores a step at 1024 px
# takes ~8 s (the shallow pass at 1024 px and the screen painting's at 512 px): with the screen painting's
# 30 s the octave had 3 steps and its brushwork at 100 % was 6× the screen painting's; with 3× (~11 steps)
# the look at 512 px drifted 18-25 % in style; with 5× (~19 steps) both are nearer than the screen
# painting's own (bench/bench_print.py, Tübingen × The Starry Night). A GPU step at 2048 px is tens of ms.
PRINT_TIME = {"cpu": 5.0}


@dataclass(frozen=True)
class Stage:
    size: tuple[int, int]  # (width, height)
    steps: int  # planned steps (by time: the expected number)
    seconds: float = 0.0  # by time: this scale's share of the run; 0 when planned by steps
    style_layers: tuple[str, ...] = ()  # the style layers matched at this scale; empty: the config's
    content_layers: tuple[str, ...] = ()  # the content layers kept at this scale; empty: the config's
    work: float = 1.0  # a step's cost against a full pass to relu5_1 at the same size
    brushwork: bool = False  # the finest scale's opening pass on the shallow layers (by time)
    print_pass: bool = False  # an octave above the screen size: brushwork, the look held at the screen size


# Seconds per step: (a, b) in a + b × megapixels, by (device type, bf16). Measured with
# bench/bench_speed.py: a 2-core AVX2 CPU (fp32 with Winograd convolutions, features.py: 0.13 s per
# 128×96 step, 1.05–1.2 s per 512×384 one; NNPACK transforms the kernels at every step, whatever the
# size, hence a; where NNPACK does not work the direct convolutions take 2.0–2.5 s at 512 px and the
# measured steps correct b), a 2-core AVX-512 BF16 CPU (bf16: 1.0 s), an H200 (10 ms per step at
# 512 px, 16 ms at 1024 px: bound by Python, not FLOPs).
_COSTS: dict[tuple[str, bool], tuple[float, float]] = {
    ("cpu", False): (0.06, 5.5), ("cpu", True): (0.01, 5.0), ("cuda", True): (0.010, 0.006),
    ("cuda", False): (0.010, 0.01), ("mps", False): (0.02, 0.5)}
_COSTS_LOCK = threading.Lock()


# The cost model an automatic size is chosen with, once frozen (freeze_sizing): a server paints one size
# for one time choice, and its load changes the steps, not the size.
_SIZING: dict[tuple[str, bool], tuple[float, float]] | None = None


# A run paints a margin around the picture and crops it away (optimize._Objective): the picture's border
# pixels then have paint for neighbours, and the rim the padding leaves (a dotted line in the outer 1-3 px,
# bench/README.md, "Edges") falls outside it. 1/64 of the long side, 8 px at 512 (4 px left half the rim),
# so a print's octave is its screen canvas enlarged; MIN_MARGIN below 256 px (1-2 px stirred the regions).
MARGIN = 1 / 64
MIN_MARGIN = 4


def margin(size: tuple[int, int]) -> int:
    """The margin painted around a picture of ``size`` on each side, px."""
    return max(MIN_MARGIN, round(max(size) * MARGIN))


def painted_pixels(size: tuple[int, int]) -> int:
    """The pixels a step at ``size`` paints: the picture and its margin."""
    extra = 2 * margin(size)
    return (size[0] + extra) * (size[1] + extra)


def step_seconds(size: tuple[int, int], device: tuple[str, bool], work: float = 1.0,
                 costs: dict | None = None) -> float:
    """Expected seconds of one step at ``size`` on this kind of device (type, bf16), for a pass
    that does ``work`` of the network's work to relu5_1 (by ``costs``; default: the live model)."""
    a, b = (costs or _COSTS).get(device, (0.05, 20.0))
    return a + b * work * painted_pixels(size) / 1e6


def freeze_sizing() -> None:
    """From now on, choose automatic sizes with the cost model as it is now (a server, once warm), while
    the steps and the time left still follow the live one."""
    global _SIZING
    with _COSTS_LOCK:
        _SIZING = dict(_COSTS)


def sizing_costs() -> dict[tuple[str, bool], tuple[float, float]] | None:
    """The frozen cost model sizes are chosen with (freeze_sizing), or None: the live one."""
    return _SIZING


def record_steps(size: tuple[int, int], device: tuple[str, bool], seconds_per_step: float, work: float = 1.0) -> None:
    """Refine the cost model with steps measured at ``size`` (a moving average, per process)."""
    with _COSTS_LOCK:
        a, b = _COSTS.get(device, (0.05, 20.0))
        measured = max(seconds_per_step - a, 0.0) / (work * painted_pixels(size) / 1e6)
        _COSTS[device] = (a, 0.5 * b + 0.5 * measured)


def _pass_work() -> dict[str, float]:
    """Each VGG-19 layer's pass (the network up to it), as multiply-adds per input pixel (a conv's
    C_in·C_out·9, a quarter less per pooling before it) against the pass to relu5_1."""
    total, pools, channels, work = 0.0, 0, 3, {}
    for name in LAYER_NAMES:
        if name.startswith("conv"):
            out = BLOCK_CHANNELS[int(name[4]) - 1]
            total += channels * out * 9 / 4 ** pools
            channels = out
        elif name.startswith("pool"):
            pools += 1
        work[name] = total
    return {name: value / work["relu5_1"] for name, value in work.items()}


PASS_WORK = _pass_work()  # relu3_1 0.31, relu4_1 0.67, relu4_2 0.77, relu5_1 1


def _activations() -> dict[str, float]:
    """Values held per input pixel by the network's outputs up to each layer (each conv, ReLU and
    pooling output: its channels, a quarter fewer positions per pooling before it)."""
    total, pools, channels, held = 0.0, 0, 3, {}
    for name in LAYER_NAMES:
        if name.startswith("conv"):
            channels = BLOCK_CHANNELS[int(name[4]) - 1]
        if name.startswith("pool"):
            pools += 1
        total += channels / 4 ** pools
        held[name] = total
    return held


ACTIVATIONS = _activations()  # relu3_2 ~470 values a pixel, relu5_1 ~610
# Device memory of a step, per pixel of the canvas: the share of the network's outputs that autograd
# keeps for the backward pass (a conv's input is the ReLU output before it, kept once), and L-BFGS's
# curvature pairs plus the canvas, its gradient and direction (fp32 RGB each). KEPT_SHARE is calibrated
# on an H200: 20.6 GB peak for a full-network run at 4096×3072 px in fp32 (ENGINE_NOTES).
KEPT_SHARE = 0.45
LBFGS_VECTORS = 2 * 20 + 6  # optimize.HISTORY pairs, and the canvas, gradient, direction and copies
MEMORY_FIXED = 2**30  # weights, the painting's pass, the allocator's slack, cuDNN's workspace
MEMORY_MARGIN = 0.85  # of the free memory, planned for: other processes and fragmentation take the rest


def memory_bytes(stages: list[Stage], config: StyleConfig, bf16: bool) -> int:
    """Expected peak device memory of a run of these stages (the largest stage's step)."""
    def step(size: tuple[int, int], layers: tuple[str, ...]) -> float:
        deepest = max(layers or config.style_layers, key=LAYER_NAMES.index)
        per_pixel = KEPT_SHARE * ACTIVATIONS[deepest] * (2 if bf16 else 4) + LBFGS_VECTORS * 3 * 4
        return per_pixel * painted_pixels(size)

    screen = [s for s in stages if not s.print_pass][-1]
    full = step(screen.size, config.style_layers + config.content_layers)
    return int(MEMORY_FIXED + max(step(s.size, s.style_layers) + full if s.print_pass
                                  else step(s.size, s.style_layers + s.content_layers) for s in stages))


def largest_fitting(content_size: tuple[int, int], config: StyleConfig, device: tuple[str, bool], free_bytes: int,
                    sides: tuple[int, ...]) -> int:
    """The largest of ``sides`` whose run fits in MEMORY_MARGIN of ``free_bytes``; 0 if none does."""
    fitting = [side for side in sides
               if memory_bytes(plan(content_size, config.replace(size=side), device), config, device[1])
               <= MEMORY_MARGIN * free_bytes]
    return max(fitting, default=0)


def _octaves(size: tuple[int, int], finest: tuple[int, int]) -> int:
    return int(math.log2(max(finest) / max(size)) + 1e-6)


def stage_layers(style_layers: tuple[str, ...], size: tuple[int, int], finest: tuple[int, int]) -> tuple[str, ...]:
    """The style layers matched at a scale of ``size`` in a run whose finest scale is ``finest``:
    one deepest layer fewer per octave below the finest, keeping at least COARSE_MIN_LAYERS."""
    count = len(style_layers)
    return _shallowest(style_layers, max(min(COARSE_MIN_LAYERS, count), count - _octaves(size, finest)))


def _shallowest(layers: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The ``count`` shallowest of ``layers``, in their order."""
    kept = set(sorted(layers, key=LAYER_NAMES.index)[:count])
    return tuple(name for name in layers if name in kept)


def stage_content_layers(content_layers: tuple[str, ...], size: tuple[int, int],
                         finest: tuple[int, int]) -> tuple[str, ...]:
    """The content layers kept at a scale of ``size`` in a run whose finest scale is ``finest``: each
    one block shallower per octave below the finest (relu4_2 at 512 px, relu3_2 at 256, relu2_2 at
    128; not above block 1), so that every scale holds the photo on the same grid of its picture."""
    octaves = _octaves(size, finest)
    shallower = []
    for name in content_layers:
        kind, block, conv = re.fullmatch(r"([a-z]+)(\d)(?:_(\d))?", name).groups()
        block = max(1, int(block) - octaves)
        moved = f"{kind}{block}_{min(int(conv), BLOCK_CONVS[block - 1])}" if conv else f"{kind}{block}"
        if moved not in shallower:
            shallower.append(moved)
    return tuple(shallower)


def scale_sizes(content_size: tuple[int, int], size: int, config: StyleConfig) -> list[tuple[int, int]]:
    """The canvas sizes, coarse to fine, for a result whose long side is ``size``."""
    if min(image_io.fit_size(content_size, size)) < image_io.MIN_SIDE:
        width, height = content_size
        raise ValueError(f"size {size} is too small for a {width}×{height} image: "
                         f"its short side would be under {image_io.MIN_SIDE} px")
    count = config.scales or max(1, 1 + int(math.log2(size / config.min_scale_size) + 1e-9))
    count = min(count, len(STEP_SHARES))
    while count > 1 and min(image_io.fit_size(content_size, round(size / 2 ** (count - 1)))) < image_io.MIN_SIDE:
        count -= 1  # VGG-19 needs MIN_SIDE px on the short side at the coarsest scale
    return [image_io.fit_size(content_size, round(size / 2 ** (count - 1 - i))) for i in range(count)]


def screen_size(device_type: str, config: StyleConfig = StyleConfig()) -> int:
    """The size painted when none is asked for, and above which a size is a print (module doc)."""
    return config.screen_size or AUTO_SIZES.get(device_type, 512)


def print_sizes(size: int, screen: int) -> list[int]:
    """The long sides of a print's octaves above the screen size, up to ``size`` (none at or below it)."""
    sides = []
    while size > screen:
        screen = min(size, 2 * screen)
        sides.append(screen)
    return sides


def time_parts(size: int, screen: int, device_type: str) -> float:
    """A run by time of long side ``size``: its time over its screen painting's (1 at or below the
    screen size; a print adds PRINT_TIME of it per octave)."""
    return 1.0 + PRINT_TIME.get(device_type, 1.0) * len(print_sizes(size, screen))


def plan(content_size: tuple[int, int], config: StyleConfig, device: tuple[str, bool] = ("cpu", False)) -> list[Stage]:
    """The stages of a run: by steps when ``config.steps`` > 0, else by ``config.seconds``; a print
    (a size above ``screen_size``) is the screen painting's stages, then one per octave above it."""
    screen = screen_size(device[0], config)
    size = config.size or screen
    octaves = print_sizes(size, screen)
    if octaves:
        size = screen
    if config.steps:  # the screen painting and each octave above it get the same steps
        steps = max(1, round(config.steps / (len(octaves) + 1)))
        stages = _by_steps(_stages(content_size, size, config), config.steps - steps * len(octaves))
        return stages + _print_stages(content_size, octaves, stages[-1].size, config, steps=steps)
    seconds = (config.seconds or AUTO_SECONDS.get(device[0], 30.0)) / time_parts(config.size, screen, device[0])
    if not config.size:  # an automatic size steps down until the finest scale gets enough steps
        size = _automatic_size(content_size, size, config, seconds, device)
    stages = _by_time(_stages(content_size, size, config), seconds, device)
    stages = _with_brushwork(stages, config, device)
    return stages + _print_stages(content_size, octaves, stages[-1].size, config,
                                  seconds=PRINT_TIME.get(device[0], 1.0) * seconds, device=device)


def _print_stages(content_size: tuple[int, int], sides: list[int], screen: tuple[int, int], config: StyleConfig,
                  steps: int = 0, seconds: float = 0.0, device: tuple[str, bool] = ("cpu", False)) -> list[Stage]:
    """A print's octaves: the shallowest COARSE_MIN_LAYERS style layers at the octave's size, and the screen
    painting's own objective (all its layers, the content at ``content_layers``) on the canvas brought
    down to the screen size, a pass of a quarter of the pixels or fewer."""
    layers = _shallowest(config.style_layers, min(COARSE_MIN_LAYERS, len(config.style_layers)))
    weights = config.layer_weights()
    if not sum(weights[name] for name in layers):
        layers = config.style_layers
    work = max(BRUSHWORK_WORK, max(PASS_WORK[name] for name in layers))
    stages = []
    for side in sides:
        size = image_io.fit_size(content_size, side)
        held = screen[0] * screen[1] / (size[0] * size[1])  # the screen painting's objective, on the canvas brought down
        stages.append(Stage(size, steps, seconds, style_layers=layers, content_layers=config.content_layers,
                            work=min(1.0, work) + held, print_pass=True))
    return [_expected_steps(s, device) for s in stages] if seconds else stages


def _automatic_size(content_size: tuple[int, int], size: int, config: StyleConfig, seconds: float,
                    device: tuple[str, bool]) -> int:
    """``size``, or the first of SMALLER whose finest scale gets MIN_FINEST_STEPS steps in ``seconds``, by
    the frozen cost model where there is one (freeze_sizing)."""
    for side in [size] + [s for s in SMALLER if s < size]:
        finest = _by_time(_stages(content_size, side, config), seconds, device, _SIZING)[-1]
        if finest.steps >= MIN_FINEST_STEPS:
            return side
    return side


def _with_brushwork(stages: list[Stage], config: StyleConfig, device: tuple[str, bool]) -> list[Stage]:
    """A run by time with its finest scale's first BRUSHWORK_SHARE of seconds given to a brushwork pass:
    the shallowest COARSE_MIN_LAYERS style layers, the content layers as one octave below. None off a
    CPU (BRUSHWORK_DEVICES), for a single scale (nothing was enlarged), where the pass would leave no
    style layer out, or where it would have time for fewer than MIN_BRUSHWORK_STEPS steps after its set-up."""
    if len(stages) < 2 or device[0] not in BRUSHWORK_DEVICES:
        return stages
    finest = stages[-1]
    weights = config.layer_weights()
    layers = _shallowest(config.style_layers, COARSE_MIN_LAYERS)
    if len(layers) == len(config.style_layers) or not sum(weights[name] for name in layers):
        return stages
    content = stage_content_layers(config.content_layers, stages[-2].size, finest.size)
    work = min(finest.work, max(BRUSHWORK_WORK, max(PASS_WORK[name] for name in layers + content)))
    brushwork = dataclasses.replace(finest, seconds=BRUSHWORK_SHARE * finest.seconds, style_layers=layers,
                                    content_layers=content, work=work, brushwork=True)
    brushwork = _expected_steps(brushwork, device)
    if brushwork.steps < MIN_BRUSHWORK_STEPS:
        return stages
    rest = dataclasses.replace(finest, seconds=finest.seconds - brushwork.seconds)
    return stages[:-1] + [brushwork, _expected_steps(rest, device, setup=0.0)]


def setup_steps(stages: list[Stage], index: int) -> float:
    """Steps' worth of set-up before stage ``index`` starts: SETUP_STEPS, none after a stage at the same
    size (a brushwork pass: the targets of both were built before it, optimize._SharedTargets)."""
    return 0.0 if index and stages[index - 1].size == stages[index].size else SETUP_STEPS


def _expected_steps(stage: Stage, device: tuple[str, bool], setup: float = SETUP_STEPS,
                    costs: dict | None = None) -> Stage:
    """``stage`` with the steps expected to fit in its seconds after ``setup`` steps' worth of set-up."""
    per_step = step_seconds(stage.size, device, stage.work, costs)
    return dataclasses.replace(stage, steps=max(1, int(stage.seconds / per_step - setup)))


def _stages(content_size: tuple[int, int], size: int, config: StyleConfig) -> list[Stage]:
    """The scales of a run with their style layers and work; steps and seconds not yet shared out."""
    sizes = scale_sizes(content_size, size, config)
    stages = []
    weights = config.layer_weights()
    for wh in sizes:
        layers = stage_layers(config.style_layers, wh, sizes[-1])
        if not sum(weights[name] for name in layers):  # only zero-weighted layers left at this scale: match them all
            layers = config.style_layers
        content = stage_content_layers(config.content_layers, wh, sizes[-1])
        stages.append(Stage(wh, 0, 0.0, style_layers=layers, content_layers=content,
                            work=max(PASS_WORK[name] for name in layers + content)))
    return stages


def _by_steps(stages: list[Stage], total: int) -> list[Stage]:
    steps = [max(1, round(total * share)) for share in STEP_SHARES[len(stages)]]
    steps[-1] = max(1, total - sum(steps[:-1]))
    return [dataclasses.replace(stage, steps=n) for stage, n in zip(stages, steps)]


def _by_time(stages: list[Stage], seconds: float, device: tuple[str, bool], costs: dict | None = None) -> list[Stage]:
    return [_expected_steps(dataclasses.replace(stage, seconds=share * seconds), device, costs=costs)
            for stage, share in zip(stages, TIME_SHARES[len(stages)])]


def estimate(stages: list[Stage], device: tuple[str, bool]) -> float:
    """Expected seconds of a run of these stages (by time: their seconds; weights already loaded)."""
    if all(s.seconds for s in stages):
        return sum(s.seconds for s in stages)
    return sum((s.steps + setup_steps(stages, i)) * step_seconds(s.size, device, s.work) for i, s in enumerate(stages))

"""Prints: sizes above the screen size, painted as the screen painting enlarged an octave at a time
(schedule.py), and the memory planner that refuses a print the device cannot hold."""

import re

import pytest

from conftest import TUBINGEN
from style_core import StyleConfig, devices, load_image, presets, stylize
from style_core import schedule
from style_core.quality import brushwork_distance, distances

GPU = ("cuda", True)
GB = 2**30
SIDES = tuple(range(4096, 1023, -64))


def test_a_print_is_the_screen_painting_then_one_octave_at_a_time():
    stages = schedule.plan((1024, 768), StyleConfig(size=4096, seconds=15), GPU)
    screen = [s for s in stages if not s.print_pass]
    prints = [s for s in stages if s.print_pass]
    # the screen painting as a 5 s screen run plans it, then 2048 and 4096 px with as much time each
    assert [s.size for s in screen] == [s.size for s in schedule.plan((1024, 768), StyleConfig(seconds=5), GPU)]
    assert [s.size for s in prints] == [(2048, 1536), (4096, 3072)]
    assert [s.seconds for s in prints] == pytest.approx([5, 5]) and sum(s.seconds for s in stages) == pytest.approx(15)
    # on a CPU an octave takes five times the screen painting's time (its steps cost ~8 s at 1024 px)
    cpu = schedule.plan((1024, 768), StyleConfig(size=1024, seconds=180), ("cpu", False))
    assert [s.seconds for s in cpu if s.print_pass] == pytest.approx([150]) and schedule.time_parts(1024, 512, "cpu") == 6
    # at the octave's size the shallow style layers (brushwork); the content is held at the screen size
    assert all(s.style_layers == ("relu1_1", "relu2_1", "relu3_1") and s.content_layers == ("relu4_2",) for s in prints)
    # a step: the shallow pass at full size, and the screen painting's full pass on a quarter (a sixteenth) of it
    assert [round(s.work, 3) for s in prints] == [round(schedule.BRUSHWORK_WORK + f, 3) for f in (1 / 4, 1 / 16)]
    # by steps: each octave as many steps as the screen painting
    by_steps = schedule.plan((1024, 768), StyleConfig(size=2048, steps=100), GPU)
    assert [s.steps for s in by_steps if s.print_pass] == [50] and sum(s.steps for s in by_steps) == 100
    # at or below the screen size nothing changes; an odd size ends on itself
    assert not any(s.print_pass for s in schedule.plan((1024, 768), StyleConfig(size=1024, seconds=5), GPU))
    assert schedule.print_sizes(3000, 1024) == [2048, 3000] and schedule.print_sizes(512, 512) == []
    assert max(schedule.plan((1024, 768), StyleConfig(size=1024, seconds=30), ("cpu", False))[-1].size) == 1024


def test_the_planner_offers_what_fits_in_the_free_memory():
    config = StyleConfig(seconds=5)
    largest = lambda shape, gb, bf16=True: schedule.largest_fitting(shape, config, ("cuda", bf16), gb * GB, SIDES)
    # a 24 GB A10G: a 4:3 poster (4096 px) fits in bf16; a square one in fp32 does not
    assert largest((4, 3), 24) == 4096 and largest((1, 1), 24, bf16=False) == 3584
    # a ZeroGPU slice (70 GB) and a whole H200 (140 GB): every size up to 4096 px, in either precision
    assert largest((1, 1), 70, bf16=False) == largest((1, 1), 140, bf16=False) == 4096
    # an 8 GB card: prints up to ~2600 px; less than the fixed cost: nothing
    assert largest((4, 3), 8) == 2624 and largest((4, 3), 1) == 0
    # the model, calibrated on the H200's 20.6 GB for a full-network fp32 run at 4096×3072 px (measured
    # before the margin: schedule.margin), now with the margin's pixels
    full = schedule.plan((4, 3), StyleConfig(size=4096, screen_size=4096, seconds=30), ("cuda", False))
    more = schedule.painted_pixels((4096, 3072)) / (4096 * 3072)
    assert schedule.memory_bytes(full, config, False) / GB == pytest.approx(20.6 * more, rel=0.05)
    # a print's octaves hold only the shallow layers: a 4096 px print needs far less than a full-network run
    poster = schedule.plan((4, 3), StyleConfig(size=4096, seconds=15), ("cuda", False))
    assert schedule.memory_bytes(poster, config, False) < 0.9 * schedule.memory_bytes(full, config, False)


def test_a_run_too_large_for_the_free_memory_is_refused_in_one_line(monkeypatch):
    free = int((schedule.MEMORY_FIXED + 100 * 2**20) / schedule.MEMORY_MARGIN)  # ~100 MB beyond the fixed cost
    monkeypatch.setattr(devices, "free_memory", lambda device: free)
    with pytest.raises(devices.DeviceError) as caught:
        next(stylize(TUBINGEN, "starry-night", StyleConfig(size=1024, steps=2, device="cpu")))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("size 1024 px needs about")
    largest = int(re.search(r"the largest that fits is (\d+) px", message).group(1))
    assert 128 <= largest < 1024  # and that one is painted
    records = list(stylize(TUBINGEN, "starry-night", StyleConfig(size=largest, screen_size=largest, steps=1)))
    assert records[-1].done


def test_a_small_print_keeps_the_small_paintings_look_and_adds_brushwork_at_its_own_size():
    photo, painting = load_image(TUBINGEN), load_image(presets.resolve("starry-night"))
    painting = painting.resize((320, 253))  # a painting of few pixels: the print may not enlarge its brushwork
    screen_config = StyleConfig(size=128, screen_size=128, steps=40)
    screen = list(stylize(photo, painting, screen_config))[-1].image
    records = list(stylize(photo, painting, screen_config.replace(size=256, steps=80)))
    printed = records[-1].image
    assert printed.size == (256, 192) and records[-1].step == 80
    # brought down to the screen size it keeps the screen painting's look: both distances within 10 %
    screen_style, screen_content = distances(screen, photo, painting, 128)
    style, content = distances(printed, photo, painting, 128)
    assert style < 1.1 * screen_style and content < 1.1 * screen_content, (style, content, screen_style, screen_content)
    # at 100 % its brushwork is as near the painting's as the screen painting's at its own size (25 %),
    # where the screen painting merely enlarged is several times farther
    ours, theirs = brushwork_distance(printed, painting), brushwork_distance(screen, painting)
    enlarged = brushwork_distance(screen.resize(printed.size), painting)
    assert ours < 1.25 * theirs and enlarged > 3 * ours, (ours, theirs, enlarged)

"""The plan of a run: scales, steps or seconds per scale, the cost model, and runs that end on time."""

import pytest

from conftest import photo, stripes
from style_core import StyleConfig, stylize
from style_core import schedule
from style_core.schedule import PASS_WORK, SETUP_STEPS, plan, stage_content_layers, stage_layers, step_seconds

CPU = ("cpu", False)
SHIPPED_COSTS = dict(schedule._COSTS)  # read at collection, before any run in this process refines them


def test_by_steps_the_steps_are_shared_out_coarse_to_fine():
    stages = plan((1024, 768), StyleConfig(size=512, steps=84), CPU)
    assert [s.size for s in stages] == [(128, 96), (256, 192), (512, 384)]
    assert [s.steps for s in stages] == [40, 30, 14] and not any(s.seconds for s in stages)


def test_by_time_the_seconds_are_shared_out_and_the_finest_scale_gets_most():
    stages = plan((1024, 768), StyleConfig(size=512, seconds=30), CPU)
    assert sum(s.seconds for s in stages) == pytest.approx(30)
    assert stages[-1].seconds == max(s.seconds for s in stages)
    for i, stage in enumerate(stages):  # the expected steps: what fits in the share after the set-up
        assert stage.steps == max(1, int(stage.seconds / step_seconds(stage.size, CPU, stage.work)
                                         - schedule.setup_steps(stages, i)))


def test_below_the_finest_scale_the_deepest_style_layers_are_left_out_one_per_octave(monkeypatch):
    monkeypatch.setattr(schedule, "_COSTS", dict(SHIPPED_COSTS))  # as in the automatic-size test below
    stages = plan((1024, 768), StyleConfig(size=512, seconds=30), CPU)
    all_five = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    coarse = [s for s in stages if not s.brushwork]  # the brushwork pass: its own test below
    assert [s.style_layers for s in coarse] == [all_five[:3], all_five[:4], all_five]
    # the content layer moves one block up per octave, so the style layers set how deep a coarse pass
    # goes: 0.31 and 0.67 of b (a step's fixed cost a stays); with relu4_2 at every scale it was 0.77
    assert [s.content_layers for s in coarse] == [("relu2_2",), ("relu3_2",), ("relu4_2",)]
    assert [round(s.work, 2) for s in coarse] == [0.31, 0.67, 1.0]
    assert stages[0].steps > 1.2 * plan((1024, 768), StyleConfig(size=512, seconds=30, content_layers=("relu5_4",)),
                                        CPU)[0].steps  # relu3_4 at 128 px: 0.62 (43 steps against 34)
    # at least three layers stay, in the config's order; a one-scale run keeps them all
    assert stage_layers(("relu5_1", "relu1_1", "relu4_1"), (64, 48), (512, 384)) == ("relu5_1", "relu1_1", "relu4_1")
    assert stage_layers(("relu5_1", "relu4_1", "relu3_1", "relu2_1"), (128, 96), (512, 384)) == ("relu4_1", "relu3_1",
                                                                                                  "relu2_1")
    assert plan((1024, 768), StyleConfig(size=512, seconds=30, scales=1), CPU)[0].style_layers == StyleConfig().style_layers


def test_below_the_finest_scale_each_content_layer_is_one_block_shallower_per_octave():
    finest = (512, 384)
    assert stage_content_layers(("relu4_2",), finest, finest) == ("relu4_2",)
    assert stage_content_layers(("relu4_2", "relu5_1"), (256, 192), finest) == ("relu3_2", "relu4_1")
    # a block's conv count caps the index, block 1 is as shallow as it goes, and layers met twice count once
    assert stage_content_layers(("relu4_4", "conv5_3", "pool4", "relu1_2"), (128, 96), finest) == (
        "relu2_2", "conv3_3", "pool2", "relu1_2")
    assert stage_content_layers(("relu3_4", "relu4_4"), (128, 96), finest) == ("relu1_2", "relu2_2")
    assert stage_content_layers(("relu5_4", "relu4_4"), (256, 192), finest) == ("relu4_4", "relu3_4")
    assert stage_content_layers(("relu4_4", "relu5_4"), (128, 96), finest) == ("relu2_2", "relu3_4")
    assert stage_content_layers(("relu4_4", "relu4_3"), (128, 96), finest) == ("relu2_2",)


def test_each_scale_is_twice_the_previous_from_the_smallest_scale_up(monkeypatch):
    monkeypatch.setattr(schedule, "_COSTS", dict(SHIPPED_COSTS))  # as in the automatic-size test below
    sizes = lambda config: list(dict.fromkeys(s.size for s in plan((1024, 768), config, CPU)))  # a brushwork pass: once
    for config in (StyleConfig(size=512, seconds=10), StyleConfig(size=512, seconds=30), StyleConfig(size=512, steps=84)):
        assert sizes(config) == [(128, 96), (256, 192), (512, 384)]
    assert sizes(StyleConfig(size=384, seconds=10)) == [(192, 144), (384, 288)]
    assert sizes(StyleConfig(size=1024, seconds=30)) == [(128, 96), (256, 192), (512, 384), (1024, 768)]
    assert sizes(StyleConfig(size=512, seconds=30, scales=2)) == [(256, 192), (512, 384)]


def test_by_time_the_finest_scale_opens_with_a_brushwork_pass_on_the_shallow_layers(monkeypatch):
    monkeypatch.setattr(schedule, "_COSTS", dict(SHIPPED_COSTS))
    stages = plan((1024, 768), StyleConfig(size=512, seconds=30), CPU)
    assert [(s.size, s.brushwork) for s in stages] == [((128, 96), False), ((256, 192), False), ((512, 384), True),
                                                       ((512, 384), False)]
    brushwork, finest = stages[-2:]
    assert brushwork.style_layers == ("relu1_1", "relu2_1", "relu3_1") and brushwork.content_layers == ("relu3_2",)
    assert brushwork.work == schedule.BRUSHWORK_WORK and finest.style_layers == StyleConfig().style_layers
    assert brushwork.seconds == pytest.approx(schedule.BRUSHWORK_SHARE * (brushwork.seconds + finest.seconds))
    assert sum(s.seconds for s in stages) == pytest.approx(30)
    assert brushwork.steps >= schedule.MIN_BRUSHWORK_STEPS and finest.steps > brushwork.steps
    # the pass builds the targets of both (optimize._SharedTargets): the full steps have no set-up of their own
    per_step = lambda stage: stage.seconds / step_seconds(stage.size, CPU, stage.work)
    assert brushwork.steps == int(per_step(brushwork) - SETUP_STEPS) and finest.steps == int(per_step(finest))
    # the shallowest layers in the config's order, and the content one octave down
    mine = plan((1024, 768), StyleConfig(size=512, seconds=30, style_layers=("relu5_1", "relu2_1", "relu4_1",
                                                                            "relu1_1"), content_layers=("relu5_2",)), CPU)
    assert mine[-2].style_layers == ("relu2_1", "relu4_1", "relu1_1") and mine[-2].content_layers == ("relu4_2",)
    # none by steps, in a short run, with one scale, or where the pass would leave no style layer out
    for config in (StyleConfig(size=512, steps=84), StyleConfig(size=512, seconds=10),
                   StyleConfig(size=512, seconds=30, scales=1),
                   StyleConfig(size=512, seconds=30, style_layers=("relu1_1", "relu2_1", "relu3_1"))):
        assert not any(s.brushwork for s in plan((1024, 768), config, CPU))
    assert not any(s.brushwork for s in plan((1024, 768), StyleConfig(size=512, seconds=30), ("cuda", True)))


def test_the_work_of_a_pass_counts_each_conv_once():
    # multiply-adds per input pixel, as in ENGINE_NOTES: conv1_2 37k, block 2 55k, block 3 129k, block 4 129k, conv5_1 9k
    to_relu5_1 = 1728 + 36864 + 55296 + 129024 + 129024 + 9216
    assert PASS_WORK["relu1_2"] == pytest.approx((1728 + 36864) / to_relu5_1)
    assert PASS_WORK["relu4_2"] == pytest.approx((1728 + 36864 + 55296 + 129024 + 18432 + 36864) / to_relu5_1)
    assert PASS_WORK["pool4"] == PASS_WORK["relu4_4"] and PASS_WORK["relu5_1"] == 1.0


def test_an_automatic_size_and_time_follow_the_device(monkeypatch):
    # the shipped cost model: runs earlier in this process (tiny images, a loaded machine) refine it
    monkeypatch.setattr(schedule, "_COSTS", dict(SHIPPED_COSTS))
    on_cpu, on_gpu = plan((1024, 768), StyleConfig(), CPU), plan((1024, 768), StyleConfig(), ("cuda", True))
    assert max(on_cpu[-1].size) == 512 and sum(s.seconds for s in on_cpu) == pytest.approx(30)
    assert max(on_gpu[-1].size) == 1024 and sum(s.seconds for s in on_gpu) == pytest.approx(5)
    short = plan((1024, 768), StyleConfig(seconds=4), CPU)  # too short for 512 px on a CPU: paint smaller
    assert max(short[-1].size) < 512 and short[-1].steps >= schedule.MIN_FINEST_STEPS
    assert max(plan((1024, 768), StyleConfig(size=512, seconds=4), CPU)[-1].size) == 512  # asked for: kept


def test_measured_steps_refine_the_cost_model(monkeypatch):
    monkeypatch.setattr(schedule, "_COSTS", {CPU: (0.01, 10.0)})
    before = step_seconds((512, 384), CPU)
    schedule.record_steps((512, 384), CPU, 2 * before)
    assert step_seconds((512, 384), CPU) == pytest.approx(1.5 * before, rel=0.01)  # halfway to the measurement
    # a pass that does half the work, measured at half the time, leaves the model where it was
    schedule.record_steps((512, 384), CPU, 0.01 + 0.5 * (step_seconds((512, 384), CPU) - 0.01), work=0.5)
    assert step_seconds((512, 384), CPU) == pytest.approx(1.5 * before, rel=0.01)


def test_a_run_by_time_ends_on_time_and_says_how_long_is_left():
    records = list(stylize(photo(200, 150), stripes(), StyleConfig(size=96, seconds=3.0, preview_every=5)))
    final = records[-1]
    assert final.done and final.image.size == (96, 72)
    assert 3.0 * 0.6 < final.elapsed < 3.0 * 1.15, final.elapsed  # it used its time, and no more
    for record in records[2:-1]:  # the time left is the plan's remainder
        assert record.eta == pytest.approx(3.0 - record.elapsed, abs=0.3)
    assert final.step == final.total_steps and all(r.total_steps >= r.step for r in records)


def test_a_server_paints_one_size_for_one_time_whatever_its_load(monkeypatch):
    monkeypatch.setattr(schedule, "_COSTS", dict(SHIPPED_COSTS))
    monkeypatch.setattr(schedule, "_SIZING", None)
    schedule.freeze_sizing()  # as app.py does once warm
    calm = plan((1024, 768), StyleConfig(seconds=10), CPU)
    a, b = SHIPPED_COSTS[CPU]
    schedule._COSTS[CPU] = (a, 2.5 * b)  # a loaded moment: the runs since measured steps 2.5 times dearer
    loaded = plan((1024, 768), StyleConfig(seconds=10), CPU)
    assert loaded[-1].size == calm[-1].size and loaded[-1].steps < calm[-1].steps  # fewer steps, the same size
    monkeypatch.setattr(schedule, "_SIZING", None)  # not frozen (a CLI run): the size follows the load
    assert max(plan((1024, 768), StyleConfig(seconds=10), CPU)[-1].size) < max(calm[-1].size)

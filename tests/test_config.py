import subprocess
import sys

import pytest

from conftest import ROOT
from style_core import ConfigError, StyleConfig


def test_defaults_are_valid_and_frozen():
    config = StyleConfig()
    with pytest.raises(AttributeError):
        config.size = 3  # type: ignore[misc]
    assert config.replace(size=256).size == 256
    assert (config.seconds, config.steps, config.size) == (0.0, 0, 0)  # by time: the device's default time and size


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": -1}, "steps must be between 0 and 100000, but got -1"),
    ({"seconds": 7200.0}, "seconds must be between 0 and 3600, but got 7200"),
    ({"size": 10}, "size must be 0 (automatic) or between 32 and 4096, but got 10"),
    ({"size": 300.5}, "size must be an integer, but got 300.5"),
    ({"style_weight": float("nan")}, "style_weight must be a number"),
    ({"preserve_color": "sepia"}, "preserve_color must be one of none, luminance, match, but got 'sepia'"),
    ({"style_blend": (0.0, 0.0)}, "at least one positive weight"),
    ({"content_layers": ("relu4_9",)}, "unknown VGG-19 layer 'relu4_9'"),
    ({"style_loss": "wasserstein"}, "style_loss must be one of meancov, gram, but got 'wasserstein'"),
    ({"style_layer_weights": (0.0,) * 5}, "style_layer_weights must have at least one positive weight"),
])
def test_validation_messages(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", "\\(").replace(")", "\\)")):
        StyleConfig(**kwargs)


def test_style_layer_weights_default_and_given():
    assert StyleConfig().layer_weights() == pytest.approx(dict.fromkeys(StyleConfig().style_layers, 0.2))
    assert StyleConfig(style_layers=("relu1_1", "relu3_1")).layer_weights() == {"relu1_1": 0.5, "relu3_1": 0.5}
    given = StyleConfig(style_layer_weights=(1.0, 1.0, 1.0, 1.0, 4.0)).layer_weights()
    assert given["relu5_1"] == pytest.approx(0.5) and given["relu1_1"] == pytest.approx(0.125)


def test_import_does_no_work_and_never_imports_gradio():
    code = "import sys, style_core; assert 'gradio' not in sys.modules; from style_core import features; assert not features._CACHE"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)

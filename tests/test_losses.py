import torch

from style_core.losses import (MEAN_WEIGHT, blend_grams, blend_stats, content_loss, gram_matrix, relative_error,
                               style_error, style_loss, style_stats, total_variation)


def test_gram_of_ones_is_one_everywhere():
    # F Fᵀ of ones is H·W in every entry; we divide by H·W.
    gram = gram_matrix(torch.ones(1, 3, 4, 5))
    torch.testing.assert_close(gram, torch.ones(1, 3, 3))


def test_gram_hand_computed():
    features = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # (1, 2, 1, 2)
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 2
    torch.testing.assert_close(gram_matrix(features), expected)


def test_gram_is_size_independent_for_tiled_features():
    tile = torch.randn(1, 8, 6, 6, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(gram_matrix(tile), gram_matrix(tile.repeat(1, 1, 3, 2)), rtol=1e-4, atol=1e-5)


def test_relative_error_values():
    target = torch.tensor([3.0, 4.0])  # norm² 25
    assert float(relative_error(target, target)) == 0.0
    torch.testing.assert_close(relative_error(torch.zeros(2), target), torch.tensor(1.0))
    torch.testing.assert_close(relative_error(torch.tensor([3.0, 9.0]), target), torch.tensor(1.0))


def test_content_and_style_loss_zero_at_target():
    features = torch.rand(1, 4, 5, 5, generator=torch.Generator().manual_seed(1))
    assert float(content_loss(features, features)) == 0.0
    assert float(style_loss(features, gram_matrix(features))) == 0.0
    # Doubling the features quadruples the Gram: relative error (4-1)² = 9.
    torch.testing.assert_close(style_loss(2 * features, gram_matrix(features)), torch.tensor(9.0), rtol=1e-4, atol=1e-5)


def test_total_variation():
    assert float(total_variation(torch.full((1, 3, 8, 8), 0.7))) == 0.0
    checker = (torch.arange(4).view(1, 4) + torch.arange(4).view(4, 1)) % 2
    # Every horizontal and vertical neighbour differs by 1: mean of squares 1 + 1.
    torch.testing.assert_close(total_variation(checker.float().view(1, 1, 4, 4)), torch.tensor(2.0))


def test_blend_grams_is_weighted_mean():
    a, b = torch.ones(1, 2, 2), torch.zeros(1, 2, 2)
    torch.testing.assert_close(blend_grams([a, b], [3.0, 1.0]), torch.full((1, 2, 2), 0.75))


def test_gram_gradient_is_autograds():
    from style_core.losses import _SelfProduct

    x = torch.randn(2, 5, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(_SelfProduct.apply, (x,))
    features = torch.randn(1, 4, 6, 5, requires_grad=True)
    target = torch.randn(1, 4, 4)
    (gram_matrix(features) - target).pow(2).sum().backward()
    ours = features.grad.clone()
    features.grad = None
    flat = features.reshape(1, 4, 30)
    ((flat @ flat.transpose(1, 2)) / 30 - target).pow(2).sum().backward()
    torch.testing.assert_close(ours, features.grad, rtol=1e-4, atol=1e-6)


def _features(seed: int, shape=(1, 4, 5, 6)) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def test_style_stats_hand_computed_and_masked():
    features = torch.tensor([[[[1.0, 3.0]], [[2.0, 6.0]]]])  # (1, 2, 1, 2): means 2 and 4
    stats = style_stats(features)
    torch.testing.assert_close(stats.mean, torch.tensor([[2.0, 4.0]]))
    torch.testing.assert_close(stats.covariance(), torch.tensor([[[1.0, 2.0], [2.0, 4.0]]]))
    x = _features(2)
    whole = style_stats(x, torch.ones(1, 1, 5, 6))
    torch.testing.assert_close(whole.gram, style_stats(x).gram)
    torch.testing.assert_close(whole.mean, style_stats(x).mean)
    left = torch.zeros(1, 1, 5, 6)
    left[..., :3] = 1.0
    torch.testing.assert_close(style_stats(x, left).mean, style_stats(x[..., :3]).mean)


def test_style_error_gram_is_gatys_and_meancov_splits_mean_from_covariance():
    x, y = _features(3), _features(4)
    torch.testing.assert_close(style_error(style_stats(x), style_stats(y), "gram"), style_loss(x, gram_matrix(y)))
    assert float(style_error(style_stats(x), style_stats(x), "meancov")) == 0.0
    # Shifted features: same covariance, so only the means' error counts, weighted MEAN_WEIGHT / (1 + MEAN_WEIGHT).
    shifted = style_error(style_stats(x + 0.5), style_stats(x), "meancov")
    expected = MEAN_WEIGHT * relative_error(style_stats(x + 0.5).mean, style_stats(x).mean) / (1 + MEAN_WEIGHT)
    torch.testing.assert_close(shifted, expected)
    assert 0.0 < float(shifted)


def test_blend_stats_are_the_mixtures():
    a, b = _features(5), _features(6) * 2 + 1
    mixed = blend_stats([style_stats(a), style_stats(b)], [1.0, 1.0])
    together = style_stats(torch.cat([a, b], dim=3))  # half the positions from each
    torch.testing.assert_close(mixed.mean, together.mean)
    torch.testing.assert_close(mixed.covariance(), together.covariance(), rtol=1e-4, atol=1e-5)

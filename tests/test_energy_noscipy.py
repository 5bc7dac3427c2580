"""The energy baseline's numpy mel projection and moving average equal, bit for bit, the scipy
calls they replaced (``scipy.sparse`` CSR product, ``scipy.ndimage.uniform_filter1d`` with
``mode="nearest"``) on random inputs; a hand-computed moving average runs without scipy."""

from __future__ import annotations

import numpy as np
import pytest

from model_adapters import energy, energy_features


def _fb_args(fp):
    return (fp.sample_rate, fp.n_fft, fp.n_mels, float(fp.fmin),
            float(fp.fmax or fp.sample_rate / 2))


def test_moving_average_hand_computed():
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    # size 3: windows [1,1,2] [1,2,3] [2,3,4] [3,4,10] [4,10,10]
    assert energy.smooth_frames(x, 3).tolist() == pytest.approx(
        [4 / 3, 2.0, 3.0, 17 / 3, 8.0], abs=1e-12)
    # size 2 (even): window t-1 .. t
    assert energy.smooth_frames(x, 2).tolist() == pytest.approx([1.0, 1.5, 2.5, 3.5, 7.0])
    # window longer than the signal, edges repeated: t - 3 .. t + 2
    assert energy.smooth_frames(np.array([[2.0], [4.0]]), 6)[:, 0].tolist() == pytest.approx(
        [(2 * 4 + 4 * 2) / 6, (2 * 3 + 4 * 3) / 6])
    assert energy.smooth_frames(x, 1) is x


def test_projection_hand_computed():
    fp = energy.FeatureParams()
    fb = energy.mel_filterbank(*_fb_args(fp))
    power = np.random.default_rng(0).random((5, fb.shape[1]))
    got = energy_features._project(power, energy_features._sparse_filterbank(*_fb_args(fp)))
    np.testing.assert_allclose(got, power @ fb.T, rtol=1e-12, atol=0)


def test_moving_average_bit_identical_to_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(3)
    for _ in range(400):
        shape = (int(rng.integers(1, 400)),) + ((int(rng.integers(1, 6)),) if rng.random() < .7
                                               else ())
        P = (rng.random(shape) ** 3) * 10.0 ** float(rng.integers(-6, 6))
        for size in (2, 3, 4, 5, 8, 13, 40, 500):
            want = ndimage.uniform_filter1d(P, size=size, axis=0, mode="nearest")
            got = energy.smooth_frames(P, size)
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.array_equal(got, want), (shape, size)


def test_mel_power_bit_identical_to_scipy_sparse():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(5)
    for fp in (energy.FeatureParams(), energy.FeatureParams(n_mels=40, n_fft=512, sample_rate=22050)):
        csr = sparse.csr_matrix(energy.mel_filterbank(*_fb_args(fp)))
        packed = energy_features._sparse_filterbank(*_fb_args(fp))
        for _ in range(30):
            power = (rng.random((int(rng.integers(1, 500)), csr.shape[1])) ** 4
                     * 10.0 ** float(rng.integers(-8, 8)))
            assert np.array_equal(energy_features._project(power, packed), (csr @ power.T).T)

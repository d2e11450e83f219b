"""The HDR to SDR curve: identity in the shadows, reference white near SDR white, no clipping
of highlights, and the tabulated frame path agreeing with the formulas."""
from __future__ import annotations

import numpy as np

from gatekeeper.media.rendition import tonemap


def frame_of(y: float, cb: float = 0.5, cr: float = 0.5) -> np.ndarray:
    """A 4x4 limited-range Y'CbCr frame (signal values 0-1) as the 16-bit array to_sdr takes."""
    codes = [(16 + 219 * y) * 257, (16 + 224 * cb) * 257, (16 + 224 * cr) * 257]
    return np.broadcast_to(np.array(codes, np.float64).round().astype(np.uint16), (4, 4, 3)).copy()


def test_the_eetf_leaves_shadows_alone_and_rolls_highlights_off_below_the_target():
    nits = np.array([1.0, 26.0, 1000.0, 4000.0])
    out = tonemap.eetf(nits)
    assert np.allclose(out[:2], nits[:2], rtol=1e-3)
    assert 190 < out[2] <= 203.5 and out[3] <= 203.5


def test_hdr_reference_white_is_near_sdr_white_and_black_stays_black():
    white = {tonemap.HLG: 0.75, tonemap.PQ: float(tonemap.pq_inverse(np.float32(203)))}
    for transfer, signal in white.items():
        assert 225 <= tonemap.to_sdr(frame_of(signal), transfer, False).mean() <= 255
        assert tonemap.to_sdr(frame_of(0.0), transfer, False).max() <= 2


def test_the_tabulated_frame_path_agrees_with_the_formulas():
    rng = np.random.default_rng(3)
    yuv = rng.integers(64 * 64, 940 * 64, (32, 32, 3)).astype(np.uint16)
    for transfer in (tonemap.HLG, tonemap.PQ):
        rgb = tonemap.ycbcr_to_rgb(yuv, False)
        nits = tonemap.pq_eotf(rgb) if transfer == tonemap.PQ else tonemap.hlg_display(rgb)
        luma = np.maximum(nits @ np.array([0.2627, 0.6780, 0.0593]), 1e-6)
        linear = np.clip((nits * (tonemap.eetf(luma) / luma)[..., None] / 203) @ tonemap._BT2020_TO_709.T, 0, 1)
        direct = np.rint(np.power(linear, 1 / 2.4) * 255)
        assert np.abs(tonemap.to_sdr(yuv, transfer, False) - direct).mean() < 0.5

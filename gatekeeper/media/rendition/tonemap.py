"""HDR video (PQ or HLG, BT.2020) to SDR BT.709, in numpy, on frames already scaled down.

Display-referred: the signal is turned into display light in nits (PQ EOTF, or HLG's
inverse OETF and OOTF for a 1000-nit display), HDR reference white (203 nits, ITU-R BT.2408)
becomes SDR white, highlights above it are rolled off with the BT.2390 EETF applied to
luminance (hue kept), the primaries are converted to BT.709, and the result is encoded
for an SDR display (inverse BT.1886, gamma 2.4). Mid-grey stays mid-grey instead of the
washed-out or dark picture a plain clip gives. Frames go through tables and OpenCV's
per-pixel matrices (about 50-100 ms per 720p frame on one core); the formulas stay as the
reference the tables are built from and tested against.
"""
from __future__ import annotations

import cv2
import numpy as np

PQ, HLG = 16, 18  # AVColorTransferCharacteristic values of SMPTE ST 2084 and ARIB STD-B67
HDR_TRANSFERS = {PQ: "HDR (PQ)", HLG: "HDR (HLG)"}
REFERENCE_WHITE = 203.0
SOURCE_PEAK = 1000.0  # mastering peak assumed for PQ, and HLG's nominal display

_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_HLG_A, _HLG_B, _HLG_C = 0.17883277, 0.28466892, 0.55991073
_BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
_BT2020_TO_709 = np.array([[1.6605, -0.5876, -0.0728],
                           [-0.1246, 1.1329, -0.0083],
                           [-0.0182, -0.1006, 1.1187]], dtype=np.float32)
_KR, _KB = 0.2627, 0.0593  # BT.2020 non-constant-luminance matrix


def pq_eotf(signal: np.ndarray) -> np.ndarray:
    """PQ signal 0-1 to nits."""
    p = np.power(np.clip(signal, 0, 1), 1 / _M2)
    return 10000.0 * np.power(np.maximum(p - _C1, 0) / (_C2 - _C3 * p), 1 / _M1)


def pq_inverse(nits: np.ndarray) -> np.ndarray:
    """Nits to PQ signal 0-1."""
    y = np.power(np.clip(np.asarray(nits, dtype=np.float32) / 10000.0, 0, 1), _M1)
    return np.power((_C1 + _C2 * y) / (1 + _C3 * y), _M2)


def hlg_display(rgb: np.ndarray) -> np.ndarray:  # the untabulated reference
    """HLG signal 0-1 to display light in nits on a SOURCE_PEAK display (inverse OETF, OOTF)."""
    e = np.clip(rgb, 0, 1)
    with np.errstate(over="ignore"):
        scene = np.where(e <= 0.5, e * e / 3, (np.exp((e - _HLG_C) / _HLG_A) + _HLG_B) / 12)
    gamma = 1.2 + 0.42 * np.log10(SOURCE_PEAK / 1000)
    luma = np.maximum(scene @ _BT2020_LUMA, 1e-6)[..., None]
    return SOURCE_PEAK * np.power(luma, gamma - 1) * scene


def eetf(nits: np.ndarray, source_peak: float = SOURCE_PEAK, target_peak: float = REFERENCE_WHITE) -> np.ndarray:
    """BT.2390 EETF: identity in PQ below a knee, a Hermite roll-off to target_peak above."""
    top = float(pq_inverse(np.float32(source_peak)))
    e = pq_inverse(nits) / top
    max_lum = float(pq_inverse(np.float32(target_peak))) / top
    knee = 1.5 * max_lum - 0.5
    t = np.clip((e - knee) / (1 - knee), 0, 1)
    t2, t3 = t * t, t * t * t
    rolled = (2 * t3 - 3 * t2 + 1) * knee + (t3 - 2 * t2 + t) * (1 - knee) + (-2 * t3 + 3 * t2) * max_lum
    return pq_eotf(np.where(e < knee, e, rolled) * top)


def _ycbcr_matrix(full_range: bool) -> np.ndarray:
    """The 3x4 affine matrix from 16-bit BT.2020 Y'CbCr codes to R'G'B' signal 0-1."""
    if full_range:
        scale, offset = np.full(3, 1 / 65535), np.array([0, -0.5, -0.5])
    else:
        scale = np.array([255 / 219, 255 / 224, 255 / 224]) / 65535
        offset = np.array([-16 / 219, -128 / 224, -128 / 224])
    to_rgb = np.array([[1, 0, 2 * (1 - _KR)],
                       [1, -2 * (1 - _KB) * _KB / (1 - _KR - _KB), -2 * (1 - _KR) * _KR / (1 - _KR - _KB)],
                       [1, 2 * (1 - _KB), 0]])
    return np.hstack([to_rgb * scale, (to_rgb @ offset)[:, None]])


_YCBCR = {True: _ycbcr_matrix(True), False: _ycbcr_matrix(False)}


def ycbcr_to_rgb(yuv: np.ndarray, full_range: bool) -> np.ndarray:
    """BT.2020 Y'CbCr (h, w, 3) uint16 (16-bit scaled) to non-linear R'G'B' floats 0-1."""
    # cv2.transform applies a matrix to every pixel in SIMD; numpy's (N, 3) @ (3, 3) is 20x slower.
    return cv2.transform(yuv.astype(np.float32), _YCBCR[full_range])


# Transfer functions are tabulated: a frame then costs a few table look-ups instead of
# millions of powers and exponentials. Signals are quantised to 12 bits (the source has 10);
# light is indexed by its square root, which keeps shadows as finely resolved as highlights.
_STEPS = 4096
_SIGNAL = np.linspace(0, 1, _STEPS, dtype=np.float64)
_ROOT = _SIGNAL  # square roots of 0..1, the index of a light level


def _index(values: np.ndarray) -> np.ndarray:
    return np.clip(values * (_STEPS - 1) + 0.5, 0, _STEPS - 1).astype(np.uint16)


def _light_index(relative: np.ndarray) -> np.ndarray:
    return _index(cv2.sqrt(cv2.max(relative, 0.0)))


_PQ_NITS = pq_eotf(_SIGNAL).astype(np.float32)
_HLG_SCENE = np.where(_SIGNAL <= 0.5, _SIGNAL ** 2 / 3,
                      (np.exp((np.maximum(_SIGNAL, 0.5) - _HLG_C) / _HLG_A) + _HLG_B) / 12).astype(np.float32)
_HLG_GAMMA = 1.2 + 0.42 * np.log10(SOURCE_PEAK / 1000)
_HLG_OOTF = (SOURCE_PEAK * np.maximum(_ROOT ** 2, 1e-6) ** (_HLG_GAMMA - 1)).astype(np.float32)
_NITS_RANGE = 10000.0
_EETF_RATIO = (eetf(np.maximum(_ROOT ** 2 * _NITS_RANGE, 1e-6)) / np.maximum(_ROOT ** 2 * _NITS_RANGE, 1e-6)
               / REFERENCE_WHITE).astype(np.float32)
_LUMA_ROW = _BT2020_LUMA[None, :]


def to_sdr(yuv: np.ndarray, transfer: int, full_range: bool) -> np.ndarray:
    """One HDR frame (h, w, 3 uint16 Y'CbCr) as SDR BT.709 RGB (h, w, 3 uint8)."""
    # Straight to table indices: the 12-bit quantisation folded into the colour matrix.
    index = cv2.transform(yuv.astype(np.float32), _YCBCR[full_range] * (_STEPS - 1) + [[0, 0, 0, 0.5]] * 3)
    signal = np.clip(index, 0, _STEPS - 1, out=index).astype(np.uint16)
    if transfer == PQ:
        nits = _PQ_NITS[signal]
    else:
        scene = _HLG_SCENE[signal]
        nits = scene * _HLG_OOTF[_light_index(cv2.transform(scene, _LUMA_ROW))][..., None]
    relative = nits * _EETF_RATIO[_light_index(cv2.transform(nits, _LUMA_ROW) / _NITS_RANGE)][..., None]
    linear = cv2.max(cv2.transform(relative, _BT2020_TO_709), 0.0)
    # convertScaleAbs rounds and saturates to 8 bits: everything above SDR white is white.
    return cv2.convertScaleAbs(cv2.pow(linear, 1 / 2.4), alpha=255.0)

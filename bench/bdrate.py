"""Bjontegaard delta rate with piecewise-cubic (PCHIP) interpolation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.interpolate import PchipInterpolator


def _monotone(rate: Sequence[float], quality: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Points sorted by rate, keeping only those that improve quality (PCHIP needs strictly
    increasing abscissae; a setting that costs bits without gaining quality adds nothing)."""
    r = np.asarray(rate, dtype=np.float64)
    q = np.asarray(quality, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(q) & (r > 0)
    r, q = r[ok], q[ok]
    order = np.argsort(r, kind="stable")
    r, q = r[order], q[order]
    keep, best = [], -np.inf
    for i, qi in enumerate(q):
        if qi > best:
            keep.append(i)
            best = qi
    return r[keep], q[keep]


def overlap(anchor_rate: Sequence[float], anchor_quality: Sequence[float],
            test_rate: Sequence[float], test_quality: Sequence[float]) -> tuple[float, float]:
    """The quality range over which ``bd_rate`` integrates (``lo >= hi``: no overlap)."""
    _, qa = _monotone(anchor_rate, anchor_quality)
    _, qt = _monotone(test_rate, test_quality)
    if len(qa) == 0 or len(qt) == 0:
        return float("nan"), float("nan")
    return float(max(qa[0], qt[0])), float(min(qa[-1], qt[-1]))


def bd_rate(
    anchor_rate: Sequence[float],
    anchor_quality: Sequence[float],
    test_rate: Sequence[float],
    test_quality: Sequence[float],
) -> float:
    """Average rate difference of ``test`` vs ``anchor`` at equal quality, in percent.

    Log-rate is interpolated as a PCHIP function of quality for each curve, integrated over the
    overlapping quality range, and the mean difference is turned back into a rate ratio. Negative
    means ``test`` needs fewer bits. NaN when the curves do not overlap or have < 2 points.
    """
    ra, qa = _monotone(anchor_rate, anchor_quality)
    rt, qt = _monotone(test_rate, test_quality)
    if len(qa) < 2 or len(qt) < 2:
        return float("nan")
    lo, hi = overlap(ra, qa, rt, qt)
    if not hi > lo:
        return float("nan")
    area_a = PchipInterpolator(qa, np.log(ra)).integrate(lo, hi)
    area_t = PchipInterpolator(qt, np.log(rt)).integrate(lo, hi)
    return float((np.exp((area_t - area_a) / (hi - lo)) - 1.0) * 100.0)

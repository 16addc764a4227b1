"""Special functions: the error function, which the exact GELU needs.

NumPy and the Array API have no ``erf``, so ``Erf.forward`` evaluates W. J. Cody's rational
approximations (Math. Comp. 23, 1969; the SPECFUN routine CALERF), accurate to about 1e-16
relative in float64, with the backend's own ``xp`` operations only, so it runs on every
backend. Each of the three ranges of |x| has its own rational function; every element goes
through all three (on its |x| clipped into each range, so nothing overflows) and ``where``
keeps the right one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["Erf", "erf"]

# erf(x) = x P(x^2) / Q(x^2) for |x| <= 0.5 (A: numerator, B: denominator)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc(x) = exp(-x^2) P(x) / Q(x) for 0.5 < x <= 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc(x) = exp(-x^2) / x (1/sqrt(pi) + P(1/x^2) / (x^2 Q(1/x^2))) for x > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SMALL, _LARGE, _ONE = 0.46875, 4.0, 6.0  # the ranges; erf(x) rounds to 1 beyond 6


class Erf(Function):
    """The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        xp = self.xp
        y = xp.abs(x)
        # |x| <= 0.46875: erf directly
        s = xp.minimum(y, _SMALL)
        z = s * s
        num, den = _A[4] * z, z
        for a, b in zip(_A[:3], _B[:3]):
            num, den = (num + a) * z, (den + b) * z
        small = s * (num + _A[3]) / (den + _B[3])
        # 0.46875 < |x| <= 4: erfc, then 1 - erfc
        m = xp.clip(y, _SMALL, _LARGE)
        num, den = _C[8] * m, m
        for c, d in zip(_C[:7], _D[:7]):
            num, den = (num + c) * m, (den + d) * m
        middle = 1 - _exp_minus_square(xp, m) * (num + _C[7]) / (den + _D[7])
        # |x| > 4: an asymptotic rational function in 1/x^2
        b = xp.clip(y, _LARGE, _ONE)
        z = 1 / (b * b)
        num, den = _P[5] * z, z
        for p, q in zip(_P[:4], _Q[:4]):
            num, den = (num + p) * z, (den + q) * z
        tail = z * (num + _P[4]) / (den + _Q[4])
        large = 1 - _exp_minus_square(xp, b) * (1 / math.sqrt(math.pi) - tail) / b
        value = xp.where(y <= _SMALL, small, xp.where(y <= _LARGE, middle, large))
        return xp.where(x < 0, -value, value)  # erf is odd (and NaN stays NaN)

    # d erf(x) = 2/sqrt(pi) exp(-x^2) dx
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        return g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


def _exp_minus_square(xp: Any, y: Any) -> Any:
    """exp(-y^2) without the rounding error of y^2: y = a + r with a a multiple of 1/16, so
    a^2 is exact and exp(-y^2) = exp(-a^2) exp(-(y - a)(y + a)) (Cody's trick)."""
    a = xp.floor(y * 16) / 16
    return xp.exp(-a * a) * xp.exp(-(y - a) * (y + a))


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise (as torch.erf: integers become the default float)."""
    return Erf.apply(input if input.dtype.is_floating_point else input.float())

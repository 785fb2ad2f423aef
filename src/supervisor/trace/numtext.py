"""Numbers as text, a column at a time: JSON numbers (orjson's shortest round-trip spelling,
in C) and ``format(x, ".3g")`` (rounded in numpy, spelled from tables; only values within a
hair of a rounding tie are handed to Python's own formatter), each giving exactly the text
of its scalar counterpart."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

_TIE = 1e-6  # a mantissa this close to .5 is rounded by Python, not by float arithmetic


def json_numbers(col: NDArray[Any]) -> list[str]:
    """JSON numbers of a 1-D int64/float64 array (finite), one string each (``repr`` but with
    ``1e-9`` for ``1e-09``)."""
    import orjson

    if not col.size:
        return []
    raw = orjson.dumps(np.ascontiguousarray(col), option=orjson.OPT_SERIALIZE_NUMPY)
    out: list[str] = raw[1:-1].decode("ascii").split(",")
    return out


def int_table(size: int) -> NDArray[Any]:
    """The JSON numbers 0..size-1, as an object array to be indexed by integer columns."""
    table: NDArray[Any] = np.empty(size, dtype=object)
    table[:] = json_numbers(np.arange(size, dtype=np.int64))
    return table


def int_texts(col: NDArray[np.int64], table: NDArray[Any]) -> NDArray[Any]:
    """JSON numbers of the integers ``col`` (an object array): looked up in ``table``
    (:func:`int_table`) when it covers them, else spelled."""
    if col.size and (int(col.min()) < 0 or int(col.max()) >= table.size):
        spelled: NDArray[Any] = np.empty(col.size, dtype=object)
        spelled[:] = json_numbers(col)
        return spelled
    out: NDArray[Any] = table[col]
    return out


def counts(col: NDArray[np.int64]) -> list[str]:
    """:func:`json_numbers` of integers, from a table of 0..max when they are small and not
    negative (element counts and indices)."""
    if not col.size:
        return []
    low, high = int(col.min()), int(col.max())
    if low < 0 or high >= max(col.size, 4096):
        return json_numbers(col)
    out: list[str] = int_texts(col, int_table(high + 1)).tolist()
    return out


@cache
def _table(exponent: int, negative: bool) -> NDArray[Any]:
    """The ``%.3g`` spellings of the mantissas 100..999 (index 0..899) at a decimal
    ``exponent`` (of the leading digit): fixed point for -4..2, else scientific; trailing zeros
    stripped as ``%g`` does."""

    def strip(s: str) -> str:
        return s.rstrip("0").rstrip(".") if "." in s else s

    sign = "-" if negative else ""
    x = exponent
    out: NDArray[Any] = np.empty(900, dtype=object)
    digits = [str(d) for d in range(100, 1000)]
    if 0 <= x <= 2:
        out[:] = [sign + strip(f"{ds[: x + 1]}.{ds[x + 1 :]}") for ds in digits]
    elif -4 <= x < 0:
        out[:] = [sign + strip(f"0.{'0' * (-x - 1)}{ds}") for ds in digits]
    else:
        out[:] = [f"{sign}{strip(f'{ds[0]}.{ds[1:]}')}e{x:+03d}" for ds in digits]
    return out


def g3(values: NDArray[np.float64]) -> list[str]:
    """``[format(v, ".3g") for v in values]``, vectorized."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if not x.size:
        return []
    out: NDArray[Any] = np.empty(x.size, dtype=object)
    ax = np.abs(x)
    ok = np.isfinite(x) & (ax >= 1e-290) & (ax <= 1e290)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log10(np.where(ok, ax, 1.0))).astype(np.int64)
        m = np.where(ok, ax, 100.0) / np.power(10.0, e - 2)
    low, high = m < 100.0, m >= 1000.0  # log10 off by one at a power of ten
    e += high.astype(np.int64) - low.astype(np.int64)
    m = np.where(low, m * 10.0, np.where(high, m / 10.0, m))
    ok &= np.abs(m - np.floor(m) - 0.5) > _TIE
    d = np.rint(m).astype(np.int64)
    carry = d >= 1000  # 999.5 and up round to 1000: the next exponent's 100
    e += carry.astype(np.int64)
    d = np.clip(np.where(carry, 100, d), 100, 999) - 100
    key = np.where(ok, e * 2 + (x < 0), np.iinfo(np.int64).min)
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for group in np.split(order, bounds):
        k = int(key[group[0]])
        if k == np.iinfo(np.int64).min:  # ties, zero, huge, tiny, non-finite: Python's own
            out[group] = [format(v, ".3g") for v in x[group].tolist()]
        else:
            out[group] = _table(k >> 1, bool(k & 1))[d[group]]
    result: list[str] = out.tolist()
    return result

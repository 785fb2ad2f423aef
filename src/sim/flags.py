"""Translate the reference C's single-dash flags onto ``sim``'s options.

The rule: a C flag ``-name`` becomes ``--name`` (the options keep the C's spelling), and
its values are copied unchanged (so ``-misset -89.9 -31.3 177.7`` works). Exceptions:

| C flag | becomes |
|---|---|
| ``-pixel MM`` | ``--pixel_size MM`` (``--pixel S F`` is ``sim trace``'s pixel) |
| ``-trace_pixel S F`` | ``--pixel S F`` |
| ``-mosflm -denzo -adxv -xds -dials`` | ``--convention NAME`` |
| ``-square_xtal -round_xtal -gauss_xtal -tophat_spots -binary_spots`` | ``--shape NAME`` |
| ``-misset random`` | ``--misset_random`` |
| ``-mosaici`` | ``--mosaic`` |
| ``-floatimage`` | ``--floatfile`` |
| ``-progress`` / ``-noprogress`` | ``--progress`` / ``--no-progress`` |
| ``-nopgm -nonoise`` | dropped (no PGM or noise image is written) |
| ``-seed N`` | ``--seed N`` for ``sim run`` (the noise image); dropped for ``sim trace`` |

Pivot: as in the C's option loop, ``-distance -Xbeam -Ybeam`` imply ``beam`` and
``-close_distance -Xclose -Yclose -ORGX -ORGY -twotheta`` imply ``sample``; ``-pivot`` sets
it; the last one wins and is passed on as ``--pivot`` (only CUSTOM honours a pivot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sim.errors import SimError
from sim.options import Opt

_RENAMED = {
    "-pixel": ["--pixel_size"],
    "-trace_pixel": ["--pixel"],
    "-mosaici": ["--mosaic"],
    "-floatimage": ["--floatfile"],
    "-progress": ["--progress"],
    "-noprogress": ["--no-progress"],
    "-nopgm": [],
    "-nonoise": [],
    **{f"-{c}": ["--convention", c] for c in ("mosflm", "denzo", "adxv", "xds", "dials")},
    "-square_xtal": ["--shape", "square"],
    "-round_xtal": ["--shape", "round"],
    "-gauss_xtal": ["--shape", "gauss"],
    "-tophat_spots": ["--shape", "tophat"],
    "-binary_spots": ["--shape", "tophat"],
}
_DROPPED_WITH_VALUE = {"-seed", "--seed"}
_PIVOT_BEAM = {"distance", "Xbeam", "Ybeam"}
_PIVOT_SAMPLE = {"close_distance", "Xclose", "Yclose", "ORGX", "ORGY", "twotheta"}
_NUMBER = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)

MAPPING_HELP = (
    "C flags: every reference-C flag -name is accepted as --name (e.g. -cell, -default_F, "
    "-detector_rotx, -Xbeam), values unchanged. Exceptions: -pixel -> --pixel_size; "
    "-trace_pixel S F -> --pixel S F; -mosflm/-denzo/-adxv/-xds/-dials -> --convention NAME; "
    "-square_xtal/-round_xtal/-gauss_xtal/-tophat_spots -> --shape NAME; -misset random -> "
    "--misset_random; -floatimage -> --floatfile; -noprogress -> --no-progress; -nopgm and "
    "-nonoise are accepted and ignored (and -seed N by sim trace). The last of "
    "-distance/-Xbeam/-Ybeam "
    "(beam) and -close_distance/-Xclose/-Yclose/-ORGX/-ORGY/-twotheta (sample) or -pivot "
    "picks the pivot (CUSTOM convention only, as in the C)."
)


def translate(argv: Iterable[str], options: Iterable[Opt]) -> list[str]:
    """Rewrite C-style arguments into ``sim`` options (``--long`` ones pass through)."""
    arity: dict[str, int] = {}
    for opt in options:
        for decl in opt.decls:
            for name in decl.split("/"):
                arity[name] = opt.nargs
    args = list(argv)
    out: list[str] = []
    pivot: str | None = None
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if not token.startswith("-") or _NUMBER.match(token) or token in ("-", "--help", "-h"):
            out.append(token)
            continue
        if token in _DROPPED_WITH_VALUE and "--seed" not in arity:
            i += 1
            continue
        if token in _RENAMED:
            out.extend(_RENAMED[token])
            target = _RENAMED[token][0] if _RENAMED[token] else None
            count = arity.get(target, 0) if target and len(_RENAMED[token]) == 1 else 0
            out.extend(args[i : i + count])
            i += count
            continue
        name = "--" + token.lstrip("-")
        if (
            token in ("-misset", "--misset")
            and i < len(args)
            and args[i].lower().startswith("rand")
        ):
            out.append("--misset_random")
            i += 1
            continue
        if name == "--pivot":
            pivot = args[i] if i < len(args) else None
            i += 1
            continue
        if name not in arity:
            raise SimError(
                f"unknown option {token}", fix="see 'sim run --help' for the options and C flags"
            )
        bare = name[2:]
        pivot = "beam" if bare in _PIVOT_BEAM else "sample" if bare in _PIVOT_SAMPLE else pivot
        out.append(name)
        count = arity[name]
        out.extend(args[i : i + count])
        i += count
    if pivot is not None:
        out.extend(["--pivot", pivot])
    return out

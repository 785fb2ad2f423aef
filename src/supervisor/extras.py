"""The distribution's name and version, and the optional extras it installs on request.

The base install is what ``supervisor`` needs. The simulator (torch) and PNG plots
(matplotlib) come with extras; a command that needs one checks for it first and says which
extra to install, before it writes anything.
"""

from __future__ import annotations

DIST = "loop-supervisor"  # `supervisor` on PyPI is supervisord; the import package stays
EXTRAS = {"torch": "sim", "matplotlib": "plot"}


def version() -> str:
    """The installed distribution's version (``unknown`` when run from a bare source tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version(DIST)
    except PackageNotFoundError:
        return "unknown"


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def install_hint(module: str) -> str:
    """``pip install 'loop-supervisor[plot]'`` for the extra that brings ``module``."""
    extra = EXTRAS.get(module, "all")
    return (
        f"install the [{extra}] extra: pip install '{DIST}[{extra}]' "
        f"(or `pipx inject {DIST} {module}` in a pipx install)"
    )


def require(module: str, what: str) -> None:
    """Raise a user error naming the extra when ``module`` is not installed."""
    if not installed(module):
        from supervisor.errors import MissingExtraError

        raise MissingExtraError(
            f"{what} needs {module}, which is not installed", hint=install_hint(module)
        )

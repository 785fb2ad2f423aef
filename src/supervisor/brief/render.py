"""The one strict Jinja environment: sandboxed, StrictUndefined, trailing newline kept.

Templates are looked up in the workspace's ``templates/`` first, then in the packaged
defaults. Values are data: ledger text passed in a context is printed, never evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supervisor.errors import TemplateError

if TYPE_CHECKING:  # pragma: no cover
    from jinja2.sandbox import SandboxedEnvironment

PACKAGED = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment(search: tuple[str, ...]) -> SandboxedEnvironment:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(list(search)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def template_path(name: str, workspace_dir: Path | None) -> Path:
    """The file a template name resolves to (workspace copy first)."""
    for base in ([workspace_dir] if workspace_dir else []) + [PACKAGED]:
        candidate = base / name
        if candidate.is_file():
            return candidate
    raise TemplateError(
        f"template {name} not found",
        path=str(workspace_dir / name) if workspace_dir else name,
        hint=f"add it to the workspace templates/ directory or restore the packaged {name}",
    )


def render(name: str, context: Mapping[str, Any], workspace_dir: Path | None) -> str:
    """Render template ``name`` with ``context``; errors name the template file and line."""
    import jinja2

    path = template_path(name, workspace_dir)
    shown = path.name if workspace_dir is None else _shown(path, workspace_dir)
    source = path.read_text(encoding="utf-8")
    if not source.strip():
        raise TemplateError(
            "template is empty", path=shown, line=1, hint="restore its content or delete it"
        )
    search = tuple(str(p) for p in ([workspace_dir] if workspace_dir else []) + [PACKAGED])
    env = environment(search)
    try:
        template = env.from_string(source)
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error: {exc.message}",
            path=shown,
            line=exc.lineno,
            hint="fix the Jinja syntax",
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"template uses an undefined variable: {exc.message}",
            path=shown,
            line=_template_line(exc),
            hint=f"use only the context's variables: {', '.join(sorted(context))}",
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template failed: {exc}", path=shown) from None


def _shown(path: Path, workspace_dir: Path) -> str:
    try:
        return path.relative_to(workspace_dir.parent).as_posix()
    except ValueError:
        return path.as_posix()


def _template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on (Jinja rewrites tracebacks to it)."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

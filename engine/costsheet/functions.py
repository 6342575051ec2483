"""The registry of costsheet's Excel functions, generated from the code so docs never drift.

Every function that :mod:`costsheet.udfs` exports (its ``__all__``) is described from its Python
signature (``inspect``), its docstring and its argument help (``costsheet.udfs.ARG_HELP``). The
``costsheet functions`` command prints this registry, and the reference section of
``docs/excel-functions.md`` is :func:`reference_markdown` verbatim (a test checks it).
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field
from typing import Any

REFERENCE_START = "<!-- reference:start (generated: costsheet functions --markdown) -->"
REFERENCE_END = "<!-- reference:end -->"


@dataclass(frozen=True)
class FunctionArg:
    """One argument: its name, whether it may be omitted, and what to put in it."""

    name: str
    optional: bool
    help: str


@dataclass(frozen=True)
class FunctionInfo:
    """One Excel function as a user sees it."""

    name: str
    signature: str  # LLMCOST(params, tokens, gpu, [price_per_gpu_hour], ...)
    summary: str  # the first paragraph of the docstring, on one line
    doc: str  # the whole docstring, dedented
    args: list[FunctionArg] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_functions() -> list[FunctionInfo]:
    """Every Excel function of :mod:`costsheet.udfs`, in the order of its ``__all__``."""
    from . import udfs

    out: list[FunctionInfo] = []
    for name in udfs.__all__:
        fn = getattr(udfs, name)
        args = [
            FunctionArg(p.name, p.default is not inspect.Parameter.empty,
                        udfs.ARG_HELP.get(p.name, ""))
            for p in inspect.signature(fn).parameters.values()
        ]
        shown = ", ".join(f"[{a.name}]" if a.optional else a.name for a in args)
        # the Python function's whole docstring; Excel gets its first paragraph (udfs._excel)
        doc = inspect.getdoc(getattr(fn, "__wrapped__", fn)) or ""
        out.append(FunctionInfo(name, f"{name}({shown})", udfs.summary(doc), doc, args))
    return out


def reference_markdown() -> str:
    """The reference section of ``docs/excel-functions.md``, generated from the registry."""
    lines: list[str] = []
    for info in list_functions():
        lines += [f"### `{info.signature}`", "", info.doc, "", "| argument | |", "|---|---|"]
        for a in info.args:
            name = f"`{a.name}` (optional)" if a.optional else f"`{a.name}`"
            lines.append(f"| {name} | {a.help} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

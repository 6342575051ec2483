"""The names the model gives the lines it makes (``Final run: v3``, ``Purchase: a100-owned``), in
one place, and the same name read back in any language.

A line is named in the language of the run (``最终训练：v3``). An Actuals row may name a line
(``Purchase: a100-owned``), typed by someone who read it on an English sheet and booked against
a workbook run in Chinese, or the other way round: :func:`canonical_item` turns a name written in
any language costsheet speaks into its English form, so both sides compare equal. Code finds a
line by its ``kind``, ``pool`` and ``run``, never by these words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..i18n import N_, _, available_languages, use_language
from .stages import STAGE_LABELS

#: one line per run, pool or owned hardware; ``{name}`` is the run's or pool's name
EXPERIMENT = N_("Experiment: {name}")
STAGE_RUN = N_("{stage}: {name}")  # the final run of a stage: ``Final run: v3``, ``SFT: v3-sft``
FINAL_RUN = N_("Final run")  # the stage word of a pre-training final run
INTERRUPTIONS = N_("Interruptions: {name}")
SWEEPS = N_("Sweeps and ablations: {name}")
IDLE_RESERVED = N_("Idle reserved capacity: {name}")
IDLE_OWNED = N_("Idle owned capacity: {name}")
ELECTRICITY = N_("Electricity: {name}")
ELECTRICITY_IN_RENT = N_("Electricity: {name} (in rental price)")
COLOCATION = N_("Colocation: {name}")
RESTART_RISK = N_("Restart risk (expected): {name}")
PURCHASE = N_("Purchase: {name}")
DEPRECIATION = N_("Depreciation: {name}")

_TEMPLATES = (EXPERIMENT, INTERRUPTIONS, SWEEPS, IDLE_RESERVED, IDLE_OWNED, ELECTRICITY,
              ELECTRICITY_IN_RENT, COLOCATION, RESTART_RISK, PURCHASE, DEPRECIATION)


def line_name(template: str, name: str) -> str:
    """A line's name in the current language: ``line_name(PURCHASE, "a100-owned")``."""
    return _(template).format(name=name)


def stage_line_name(stage: str, name: str) -> str:
    """The name of a final run's line: ``Final run: v3`` (pre-training), ``SFT: v3-sft``."""
    word = _(FINAL_RUN) if stage == "pretraining" else STAGE_LABELS[stage]
    return _(STAGE_RUN).format(stage=word, name=name)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(a line name's pattern in some language, its English template), every language."""
    stages = (FINAL_RUN, *(STAGE_LABELS.msgid(s) for s in STAGE_LABELS if s != "pretraining"))
    out: list[tuple[re.Pattern[str], str]] = []
    for lang in available_languages():
        with use_language(lang):
            pairs = [(t, _(t)) for t in _TEMPLATES]
            pairs += [(STAGE_RUN.format(stage=s, name="{name}"),
                       _(STAGE_RUN).format(stage=_(s), name="{name}")) for s in stages]
        for english, shown in pairs:
            head, _sep, tail = shown.partition("{name}")
            out.append((re.compile(re.escape(head) + "(.+)" + re.escape(tail) + r"\Z", re.S),
                        english))
    # the longest pattern first: "Electricity: x (in rental price)" before "Electricity: x"
    return tuple(sorted(out, key=lambda p: -len(p[0].pattern)))


def canonical_item(text: str) -> str:
    """A line's name as English writes it, whatever language it was written in
    (``采购：a100-owned`` → ``Purchase: a100-owned``); other text as it is."""
    value = text.strip()
    for pattern, template in _patterns():
        m = pattern.match(value)
        if m:
            return template.format(name=m.group(1))
    return value

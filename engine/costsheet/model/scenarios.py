"""Scenarios: a named set of overrides applied to a Base budget.

An override key is a driver key (``mfu``, ``kwh_price``) or the path of a numeric input of one
line: ``pools.<name>.<field>``, ``runs.<name>.<field>``, ``data.<name>.<field>``,
``staff.<role>.<field>``, ``other.<name>.<field>``. Values may be floats or numpy arrays (Monte
Carlo); they are put in place without re-validation, so they must already be parsed.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..i18n import N_, _
from ..inputs import DRIVER_KEYS, Budget

SECTIONS = {"pools": "name", "runs": "name", "data": "name", "staff": "role", "other": "name"}


def split_key(key: str) -> tuple[str, str | None, str]:
    """``'mfu'`` → ('drivers', None, 'mfu'); ``'pools.h800.price_per_gpu_hour'`` → parts."""
    if key in DRIVER_KEYS:
        return "drivers", None, key
    if key.startswith("drivers.") and key[8:] in DRIVER_KEYS:
        return "drivers", None, key[8:]
    section, _sep, rest = key.partition(".")
    name, _sep, field = rest.rpartition(".")
    if section not in SECTIONS or not name or not field:
        raise InputError(
            _("unknown input key {key!r}: use a driver key ({drivers}, …) or section.name.field "
              "such as pools.h800.price_per_gpu_hour").format(
                key=key, drivers=", ".join(DRIVER_KEYS[:4]))
        )
    return section, name, field


def get_value(budget: Budget, key: str) -> Any:
    section, name, field = split_key(key)
    if section == "drivers":
        return getattr(budget.drivers, field)
    return getattr(_find(budget, section, name, field), field)


def _find(budget: Budget, section: str, name: str | None, field: str) -> Any:
    attr = SECTIONS[section]
    for line in getattr(budget, section):
        if str(getattr(line, attr)).lower() == str(name).lower():
            if field not in type(line).model_fields:
                raise InputError(f"{section}.{name}: " + _("no field {field!r}").format(
                    field=field))
            return line
    raise InputError(_(_UNKNOWN_LINE[section]).format(name=name))


#: a line an input key names that the budget does not have
_UNKNOWN_LINE = {"pools": N_("unknown pool {name!r}"), "runs": N_("unknown run {name!r}"),
                 "data": N_("unknown data line {name!r}"), "staff": N_("unknown staff {name!r}"),
                 "other": N_("unknown other {name!r}")}


def apply_overrides(budget: Budget, overrides: dict[str, Any]) -> Budget:
    """A copy of ``budget`` with each key set to its value (unvalidated, arrays allowed)."""
    if not overrides:
        return budget
    drivers_upd: dict[str, Any] = {}
    line_upd: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in overrides.items():
        section, name, field = split_key(key)
        if section == "drivers":
            drivers_upd[field] = value
            continue
        line = _find(budget, section, name, field)
        idx = getattr(budget, section).index(line)
        line_upd.setdefault((section, idx), {})[field] = value
    update: dict[str, Any] = {}
    if drivers_upd:
        update["drivers"] = budget.drivers.model_copy(update=drivers_upd)
    for section in SECTIONS:
        changed = {i: u for (s, i), u in line_upd.items() if s == section}
        if changed:
            update[section] = [
                ln.model_copy(update=changed[i]) if i in changed else ln
                for i, ln in enumerate(getattr(budget, section))
            ]
    return budget.model_copy(update=update)


def apply_scenario(budget: Budget, scenario: str) -> Budget:
    """The budget as ``scenario`` sees it: Base with that scenario's overrides."""
    if scenario == "Base":
        return budget
    if scenario not in budget.scenarios:
        known = ", ".join(budget.scenario_names)
        raise InputError(_("unknown scenario {scenario!r} (known: {known})").format(
            scenario=scenario, known=known))
    return apply_overrides(budget, budget.scenarios[scenario])

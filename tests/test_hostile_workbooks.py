"""Hostile and broken workbooks: exit code 2, a message naming the file (and the Sheet!Cell), no
traceback, and the file byte-identical afterwards. The corpus is generated at test time by
``tests/support/hostile.py``; odd-but-fine inputs (numbers stored as text, dates in month cells,
the 1904 date system, formulas saved without a result) must be accepted.

The corpus runner (:mod:`support.corpus_runner`) runs every case by `check` and `run` as a
process of its own and asserts the bounds every run keeps: within a minute and 1 GB, measured on
the process (peak resident memory from the kernel), never a traceback; the accepted cases also
run with `--json`, which must hold no NaN or infinity, nor any sheet costsheet writes."""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.language import workbook_language
from costsheet.workbook.ooxml import PackageError, check_package
from costsheet.workbook.reader import read_budget
from support.corpus_runner import (
    CRASHED,
    MEMORY_LIMIT_BYTES,
    TIME_LIMIT_S,
    Job,
    Outcome,
    run_corpus,
)
from support.hostile import (
    Accepted,
    Case,
    accepted,
    corpus,
    example_bytes,
    shared_strings_bomb,
)

CASES = corpus()
ACCEPTED = accepted()
TRIALS = "2000"


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 60
    located = [c for c in CASES if c.where and "!" in c.where]
    assert len(located) >= 40  # most name their Sheet!Cell
    assert sum(c.where is None for c in CASES) >= 15  # package-level refusals


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


# ---- the corpus runner: every case as a real `costsheet` process, timed and measured


def _job_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case of the corpus run by `check` and `run` (and every accepted one by `run
    --json`) in processes of their own (:mod:`support.corpus_runner`): outcomes by job id,
    and each case's folder and its files before the commands."""
    if os.name != "posix":
        pytest.skip("the corpus runner forks (POSIX)")
    root = tmp_path_factory.mktemp("corpus")
    jobs: list[Job] = []
    before: dict[str, dict[str, tuple[bytes, int]]] = {}
    for case in CASES:
        folder = _job_folder(root, case.name)
        path = case.make(folder)
        before[case.name] = _snapshot(folder)
        for command in (["check", path.name], ["run", path.name, "--trials", TRIALS]):
            jobs.append(Job(f"{case.name}:{command[0]}", command, str(folder)))
    for acc in ACCEPTED:
        folder = _job_folder(root, "ok-" + acc.name)
        acc.build(folder / f"{acc.name}.xlsx")
        jobs.append(Job(f"ok-{acc.name}:run", ["run", f"{acc.name}.xlsx", "--trials", TRIALS,
                                               "--json"], str(folder)))
    return {"outcomes": run_corpus(jobs), "before": before, "root": root}


def _within_bounds(o: Outcome) -> None:
    assert not o.timed_out and o.seconds < TIME_LIMIT_S, (o.id, o.seconds)
    assert o.max_rss_bytes < MEMORY_LIMIT_BYTES, (o.id, o.max_rss_mb)
    assert o.exit_code != CRASHED and "Traceback" not in o.stderr, (o.id, o.stderr)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_workbook_exits_2_naming_file_and_cell(case: Case, ran: dict[str, Any]) -> None:
    for command in ("check", "run"):
        o = ran["outcomes"][f"{case.name}:{command}"]
        _within_bounds(o)  # a minute and 1 GB, measured on the process
        err = o.stderr
        assert o.exit_code == 2, (command, o.stdout, err)
        assert "error: " in err and o.stdout == "", (command, o.stdout, err)
        assert case.filename in err, err  # the message names the file
        if case.where:
            assert case.where in err, err
        assert case.words in err, err
    # nothing written: same bytes, same mtime, no backup, no temporary file left
    assert _snapshot(ran["root"] / case.name) == ran["before"][case.name]


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in --json output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("case", ACCEPTED, ids=[a.name for a in ACCEPTED])
def test_odd_but_fine_inputs_run_within_bounds_and_finite(case: Accepted,
                                                           ran: dict[str, Any]) -> None:
    """No NaN or infinity in `--json` nor on any sheet costsheet wrote."""
    o = ran["outcomes"][f"ok-{case.name}:run"]
    _within_bounds(o)
    assert o.exit_code == 0, o.stderr
    data = _strict_json(o.stdout)
    assert data["scenarios"] and data["risk"]["risk"]["trials"] == int(TRIALS)
    book = ran["root"] / f"ok-{case.name}" / f"{case.name}.xlsx"
    wb = openpyxl.load_workbook(book, read_only=True)
    try:
        for name in data["owned_sheets"]:
            for row in wb[name].iter_rows(values_only=True):
                bad = [v for v in row if isinstance(v, float) and not math.isfinite(v)]
                assert not bad, (name, row)
    finally:
        wb.close()


_CJK = re.compile(r"[\u4e00-\u9fff]")
#: a neutral environment: the workbook alone decides the language
_NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
_SPOKEN: dict[str, bool] = {}  # case name -> the workbook itself made it Chinese


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_workbook_of_a_chinese_user_is_explained_in_chinese(case: Case,
                                                                 tmp_path: Path) -> None:
    """The corpus again, each file built from the Chinese template (`new --lang zh`): every
    error and tip is Chinese, the file and cell are named, nothing is written. A file too broken
    to say its language (not a zip, truncated) is read in the user's locale (LANG=zh_CN)."""
    path = case.make(tmp_path, lang="zh")
    before = _snapshot(tmp_path)
    remembered = workbook_language(path) == "zh"
    _SPOKEN[case.name] = remembered
    env = dict(_NO_LOCALE, **({} if remembered else {"LANG": "zh_CN.UTF-8"}))
    for command in (["check", str(path)], ["run", str(path)]):
        res = CliRunner().invoke(main, command, env=env)
        out = res.output
        assert res.exit_code == 2, (command[0], out, res.exception)
        assert isinstance(res.exception, SystemExit), res.exception
        assert "Traceback" not in out and "error: " not in out and "tip: " not in out, out
        assert "错误：" in out, out
        assert case.filename in out, out
        if case.where:
            assert case.where in out, out
        for line in out.splitlines():
            if line.startswith(("错误：", "提示：", "警告：")):
                text = line.replace(case.filename, "")
                assert _CJK.search(text.split("：", 1)[1]), (command[0], line)
        assert _snapshot(tmp_path) == before, command


def test_most_chinese_cases_speak_chinese_from_the_workbook_alone() -> None:
    """The language comes from the workbook (its costsheet.language property) whenever the
    package can be opened at all: the locale is needed only for files that are not one."""
    if len(_SPOKEN) < len(CASES):
        pytest.skip("runs after the Chinese corpus")
    assert sum(_SPOKEN.values()) >= 40, sorted(n for n, ok in _SPOKEN.items() if not ok)


@pytest.mark.parametrize("name", ["legacy-xls", "entity-bomb-sheet", "nan-in-number-cell",
                                  "formula-circular-no-value", "missing-column-gpu-count"])
def test_bad_workbook_as_a_real_process(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    path = case.make(tmp_path)
    before = path.read_bytes()
    for command in ("check", "run"):
        proc = subprocess.run([sys.executable, "-m", "costsheet.cli", command, str(path)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        assert case.filename in proc.stderr
        if case.where:
            assert case.where in proc.stderr
    assert path.read_bytes() == before


def test_check_json_reports_file_errors_as_data(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "password-protected")
    path = case.make(tmp_path)
    res = CliRunner().invoke(main, ["check", "--json", str(path)])
    assert res.exit_code == 2
    import json

    data = json.loads(res.output)
    assert data["ok"] is False and data["source"].endswith(case.filename)
    assert "password-protected" in data["errors"][0]["message"]


def test_entity_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    """openpyxl parses with defusedxml when it is installed: entities are refused, not
    expanded (a billion laughs would be ~3 GB here)."""
    import defusedxml

    assert openpyxl.DEFUSEDXML is True
    path = tmp_path / "bomb.xlsx"
    shared_strings_bomb(path)
    with pytest.raises(Exception) as info:  # openpyxl wraps it in a ValueError
        openpyxl.load_workbook(path, read_only=True)
    chain, exc = [], info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert any(isinstance(e, defusedxml.EntitiesForbidden) for e in chain), chain
    result = read_budget(path)
    assert result.budget is None
    assert "entity bomb" in result.report.problems[0].message


def test_real_zip_bomb_member_is_refused_under_a_lowered_limit(tmp_path: Path) -> None:
    """A highly compressible member (8 MB of zeros in ~8 KB) against a 1 MB limit; the default
    limit is 1 GiB, which the declared-size cases of the corpus exceed."""
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(example_bytes())) as src, \
            zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/media/zeros.bin", b"\0" * (8 << 20))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data.getvalue())
    assert path.stat().st_size < 100_000
    check_package(path)  # fine under the default limit
    with pytest.raises(PackageError, match="zip bomb"):
        check_package(path, max_uncompressed=1 << 20)


@pytest.mark.parametrize("case", ACCEPTED, ids=[a.name for a in ACCEPTED])
def test_odd_but_fine_inputs_are_accepted(case: Accepted, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.xlsx"
    case.build(path)
    result = read_budget(path)
    assert result.ok, [str(e) for e in result.report.problems]
    case.check(result)
    if case.warns:
        assert case.warns in [w.location for w in result.report.warnings]
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 0, res.output


def test_1904_workbook_runs_with_the_same_totals_and_months(tmp_path: Path) -> None:
    """Dates in a 1904 workbook are read on the 1904 calendar: same months, same totals."""
    case = next(a for a in ACCEPTED if a.name == "date-1904-system")
    path = tmp_path / "mac.xlsx"
    case.build(path)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(example_bytes())
    from costsheet.workbook.run import run_workbook

    a = run_workbook(path, trials=200).to_dict()["scenarios"]
    b = run_workbook(plain, trials=200).to_dict()["scenarios"]
    assert a == b


def test_formula_without_saved_value_is_evaluated_and_run(tmp_path: Path) -> None:
    """A workbook written by a script (=C7*4 never calculated) runs, with a warning."""
    case = next(a for a in ACCEPTED if a.name == "formula-evaluated")
    path = tmp_path / "scripted.xlsx"
    case.build(path)
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 0
    assert "Pools!C6: gpu_count: formula with no saved value, evaluated by costsheet as 512" \
        in res.output

"""Languages: the current language, how a command chooses it, CLDR formatting, and Chinese
messages from the library and the command line (keys, exit codes and --json numbers the same
in every language)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import command_language, main
from costsheet.errors import CellError, InputError
from costsheet.i18n import (
    N_,
    LazyMapping,
    _,
    available_languages,
    explicit_language,
    format_money,
    format_quantity,
    get_language,
    language_from_environment,
    lazy,
    ngettext,
    pad,
    text_width,
    use_language,
)
from costsheet.inputs import FAMILY_LABELS
from costsheet.units import UnitError, parse_fraction, parse_number
from costsheet.workbook.language import workbook_language
from costsheet.workbook.template import new_template

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------
# the machinery


def test_languages_are_english_and_every_compiled_catalog() -> None:
    assert available_languages()[0] == "en"
    assert "zh" in available_languages()


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, None),
    ({"LANG": "fr_FR.UTF-8"}, None),  # no French catalog: English
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, None),  # LC_ALL wins, as for gettext
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh"),  # the first language we have
    ({}, None),
])
def test_language_from_the_environment(env: dict[str, str], lang: str | None) -> None:
    assert language_from_environment(env) == lang


def test_the_language_is_a_context_variable() -> None:
    assert explicit_language() is None and get_language() == "en"
    with use_language("zh"):
        assert get_language() == "zh"
        assert _("is required") == "必填"
        with use_language("en"):
            assert _("is required") == "is required"
        assert _("is required") == "必填"
    assert _("is required") == "is required"
    with use_language("zh_CN.UTF-8"):  # a locale name is a language
        assert get_language() == "zh"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        with use_language("xx"):
            pass


def test_empty_text_is_not_the_catalog_header() -> None:
    with use_language("zh"):
        assert _("") == ""


def test_plural_forms() -> None:
    assert ngettext("{n} problem found", "{n} problems found", 1).format(n=1) == "1 problem found"
    assert ngettext("{n} problem found", "{n} problems found", 3).format(n=3) == \
        "3 problems found"
    with use_language("zh"):  # Chinese has one form
        for n in (1, 3):
            assert ngettext("{n} problem found", "{n} problems found", n).format(n=n) == \
                f"发现 {n} 个问题"


def test_lazy_constants_translate_when_read() -> None:
    mapping = LazyMapping({"a": N_("is required")})
    text = lazy("is required")
    assert mapping["a"] == "is required" and str(text) == "is required"
    with use_language("zh"):
        assert mapping["a"] == "必填" and str(text) == "必填" and f"{text}!" == "必填!"
        assert mapping.msgid("a") == "is required"
    assert dict(FAMILY_LABELS)["data"] == "Data"
    with use_language("zh"):
        assert dict(FAMILY_LABELS) == {
            "compute": "算力/硬件成本", "data": "数据成本", "staff": "研发人力成本",
            "power_facilities": "电力与基础设施成本", "experiments": "实验与试错成本"}


def test_money_and_quantities_in_english_are_as_before() -> None:
    assert format_money(4_642_965.43, "USD") == "$4,642,965"
    assert format_money(2.5, "USD") == "$2.50"
    assert format_money(-2500, "USD") == "-$2,500"
    assert format_money(1_000_000, "CNY") == "¥1,000,000"
    assert format_money(12, "CHF") == "12.00 CHF"
    assert [format_quantity(x) for x in (2.788e6, 14.8e12, 671e9, 2048, 0.5)] == \
        ["2.788M", "14.8T", "671B", "2,048", "0.5"]


def test_money_and_quantities_in_chinese_follow_cldr() -> None:
    with use_language("zh"):
        assert format_money(4_642_965.43, "USD") == "US$4,642,965"
        assert format_money(1_000_000, "CNY") == "¥1,000,000"
        assert format_money(12.5, "EUR") == "€12.50"
        assert format_money(-2500, "CNY") == "-¥2,500"
        # 万 and 亿, as a Chinese finance reader groups large numbers
        assert [format_quantity(x) for x in (2.788e6, 14.8e12, 671e9, 37e9, 2048)] == \
            ["278.8万", "14.8万亿", "6710亿", "370亿", "2,048"]


def test_cjk_text_takes_two_columns() -> None:
    assert text_width("Total") == 5 and text_width("合计") == 4
    assert pad("合计", 6) == "合计  " and pad("12", 4, ">") == "  12"


# ---------------------------------------------------------------------------------------------
# library messages in the current language


def test_cell_errors_read_in_chinese() -> None:
    with use_language("zh"):
        with pytest.raises(UnitError) as exc:
            parse_number("abc")
        err = CellError("Pools", "C7", "gpu_count", "abc", str(exc.value))
        assert str(err) == "Pools!C7: gpu_count: 不是数字（输入为 'abc'）"
        with pytest.raises(UnitError, match="看起来是把百分比写成了 40"):
            parse_fraction("40")
    assert str(CellError("Pools", "C7", "gpu_count", "abc", "not a number")) == \
        "Pools!C7: gpu_count: not a number (got 'abc')"


def test_codes_and_keys_are_the_same_in_every_language() -> None:
    from costsheet.estimate import estimate

    found = {}
    for lang in ("en", "zh"):
        with use_language(lang), pytest.raises(InputError) as exc:
            estimate(params="abc", tokens="1T", gpu="H1000")
        found[lang] = exc.value
    en, zh = found["en"], found["zh"]
    assert en.code == zh.code
    assert [(e.field, e.code, e.value) for e in en.report.errors] == \
        [(e.field, e.code, e.value) for e in zh.report.errors]
    assert [e.message for e in en.report.errors] != [e.message for e in zh.report.errors]


# ---------------------------------------------------------------------------------------------
# how a command chooses its language


def test_a_chinese_workbook_remembers_its_language(tmp_path: Path) -> None:
    zh = new_template(tmp_path / "zh.xlsx", lang="zh", example=True)
    en = new_template(tmp_path / "en.xlsx", lang="en", example=True)
    assert workbook_language(zh) == "zh" and workbook_language(en) == "en"
    assert workbook_language(tmp_path / "missing.xlsx") is None
    (tmp_path / "text.xlsx").write_text("not a zip")
    assert workbook_language(tmp_path / "text.xlsx") is None
    assert command_language(None, str(zh)) == "zh"
    assert command_language("en", str(zh)) == "en"  # --lang wins


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    full.update(env or {"LANG": "C.UTF-8"})
    exe = Path(sys.executable).parent / "costsheet"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full,
                          timeout=300)


def test_check_on_a_chinese_workbook_speaks_chinese_without_the_flag(tmp_path: Path) -> None:
    path = new_template(tmp_path / "预算.xlsx", lang="zh", example=True)
    res = _cli(["check", str(path)])
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("通过：2 个 GPU 池，2 次训练"), res.stdout
    res = _cli(["check", str(path), "--lang", "en"])
    assert res.stdout.startswith("ok: 2 pools, 2 runs"), res.stdout


def test_commands_without_a_workbook_follow_the_locale(tmp_path: Path) -> None:
    res = _cli(["estimate", "--params", "abc", "--tokens", "1T", "--gpu", "H100"],
               env={"LANG": "zh_CN.UTF-8"})
    assert res.returncode == 2
    assert "错误：--params: 不是数字（输入为 'abc'）" in res.stderr, res.stderr
    assert "提示：" in res.stderr
    res = _cli(["estimate", "--params", "abc", "--tokens", "1T", "--gpu", "H100"],
               env={"LANG": "en_US.UTF-8"})
    assert "error: --params: not a number (got 'abc')" in res.stderr
    res = _cli(["new", str(tmp_path / "b.xlsx")], env={"LC_ALL": "zh_CN.UTF-8"})
    assert res.returncode == 0 and "已写出" in res.stdout
    assert workbook_language(tmp_path / "b.xlsx") == "zh"


def test_every_command_takes_lang() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():
        assert any(p.name == "lang" for p in command.params), name
        res = runner.invoke(main, [name, "--help"])
        assert "--lang [en|zh]" in res.output, name


def test_a_broken_workbook_of_a_chinese_user_is_explained_in_chinese(tmp_path: Path) -> None:
    """A file costsheet cannot open has no language of its own: the locale or --lang decide."""
    bad = tmp_path / "坏的.xlsx"
    bad.write_text("month,amount\n2026-01,5\n")
    res = _cli(["check", str(bad)], env={"LANG": "zh_CN.UTF-8"})
    assert res.returncode == 2 and "错误：" in res.stderr, res.stderr
    res = _cli(["check", str(bad), "--lang", "zh"])
    assert res.returncode == 2 and "错误：" in res.stderr, res.stderr


# ---------------------------------------------------------------------------------------------
# --json: the same fields and numbers in every language


def _numbers(data: object, path: str = "") -> dict[str, object]:
    """Every number and key path of a JSON document (text left out: it is translated)."""
    out: dict[str, object] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(_numbers(v, f"{path}.{k}"))
        out[f"{path}{{}}"] = sorted(data)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.update(_numbers(v, f"{path}[{i}]"))
        out[f"{path}[]"] = len(data)
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[path] = data
    return out


def test_json_fields_and_numbers_are_byte_identical_in_both_languages(tmp_path: Path) -> None:
    outputs = {}
    for lang in ("en", "zh"):
        path = new_template(tmp_path / f"{lang}.xlsx", lang=lang, example=True)
        res = _cli(["run", str(path), "--json", "--trials", "500", "--seed", "3"])
        assert res.returncode == 0, res.stderr
        outputs[lang] = json.loads(res.stdout)
    en, zh = _numbers(outputs["en"]), _numbers(outputs["zh"])
    assert json.dumps(en, sort_keys=True) == json.dumps(zh, sort_keys=True)
    # the text is not: line names and basis are Chinese
    assert json.dumps(outputs["en"]) != json.dumps(outputs["zh"])


def test_estimate_json_is_the_same_in_both_languages() -> None:
    args = ["estimate", "--params", "70B", "--tokens", "1.4T", "--gpu", "H100", "--json"]
    en = _cli(args, env={"LANG": "en_US.UTF-8"})
    zh = _cli(args, env={"LANG": "zh_CN.UTF-8"})
    assert en.returncode == zh.returncode == 0
    assert json.dumps(_numbers(json.loads(en.stdout)), sort_keys=True) == \
        json.dumps(_numbers(json.loads(zh.stdout)), sort_keys=True)


# ---------------------------------------------------------------------------------------------
# the Chinese documentation


def test_chinese_docs_are_linked_and_use_the_glossary() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("quick-start", "template", "monthly-refresh", "glossary"):
        assert f"docs/zh/{page}.md" in readme, page
        assert (ROOT / "docs" / "zh" / f"{page}.md").exists()
    for image in ("zh-summary", "zh-risk", "zh-variance"):
        assert (ROOT / "docs" / "images" / f"{image}.png").stat().st_size > 20_000
    docs = "".join((ROOT / "docs" / "zh" / f"{p}.md").read_text(encoding="utf-8")
                   for p in ("quick-start", "monthly-refresh"))
    for term in ("算力/硬件成本", "数据成本", "研发人力成本", "电力与基础设施成本",
                 "实验与试错成本", "预算", "实际", "差异", "汇率影响", "滚动预测", "最新预测"):
        assert term in docs, term
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "fonts-noto-cjk" in ci


def test_one_refresh_log_whatever_language_each_refresh_spoke(tmp_path: Path) -> None:
    """The Refresh log's titles are keys shown in the run's language: a Chinese refresh, an
    English one, a Chinese one again keep one log, with every earlier row as it was and each
    change measured against the previous refresh."""
    import openpyxl
    from make_samples import write_monthly_sample

    path = write_monthly_sample(tmp_path / "月度.xlsx", lang="zh")
    runs = [(["--as-of", "2026-02"], {"LANG": "C.UTF-8"}),
            (["--lang", "en"], {"LANG": "C.UTF-8"}),
            (["--as-of", "2026-02"], {"LANG": "C.UTF-8"})]
    outputs = []
    for args, env in runs:
        res = _cli(["run", str(path), "--trials", "200", *args], env=env)
        assert res.returncode == 0, res.stderr
        outputs.append(res.stdout)
    assert "刷新记录：已添加第 1 行" in outputs[0]
    assert "这是该情景在刷新记录中的第一次刷新" in outputs[0]
    assert "refresh log: row 2 added" in outputs[1] and "first refresh" not in outputs[1]
    assert "刷新记录：已添加第 3 行" in outputs[2]
    ws = openpyxl.load_workbook(path)["Refresh log"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "截止月份", "costsheet 版本") and len(rows) == 4
    assert [r[1] for r in rows[1:]] == ["2026-02", "2026-03", "2026-02"]
    assert rows[1][3] == rows[3][3]  # the same inputs, the same fingerprint in both languages


def test_owned_sheets_money_formats_follow_the_language() -> None:
    from costsheet.workbook.sheetkit import money_format

    assert money_format("CNY") == '"¥"#,##0;-"¥"#,##0'
    assert money_format("USD", 2) == '"$"#,##0.00;-"$"#,##0.00'
    with use_language("zh"):
        assert money_format("CNY") == '"¥"#,##0;-"¥"#,##0'
        assert money_format("USD") == '"US$"#,##0;-"US$"#,##0'
        assert money_format("JPY") == '"JP¥"#,##0;-"JP¥"#,##0'


def test_input_sheets_added_to_a_team_workbook_remember_the_language(tmp_path: Path) -> None:
    import openpyxl

    team = tmp_path / "团队预算.xlsx"
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.active.title = "我们的表"
    wb.active["A1"] = "保留"
    wb.save(team)
    res = _cli(["new", "--into", str(team), "--lang", "zh", "--example"])
    assert res.returncode == 0, res.stderr
    assert "已将" in res.stdout
    assert workbook_language(team) == "zh"
    assert openpyxl.load_workbook(team)["我们的表"]["A1"].value == "保留"
    res = _cli(["check", str(team)])
    assert res.returncode == 0 and res.stdout.startswith("通过："), res.stdout + res.stderr

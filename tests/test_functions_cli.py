"""`costsheet functions`: the Excel functions listed from the code, and the docs that match it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from click.testing import CliRunner
from costsheet import udfs
from costsheet.cli import main
from costsheet.functions import (
    REFERENCE_END,
    REFERENCE_START,
    list_functions,
    reference_markdown,
)

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART_VBA_SHA256 = "df2a1914f58fb2af9c8cec418be991d0546a5f9194bdb11e42580e463def6b12"


def test_registry_lists_every_udf_with_its_signature() -> None:
    infos = {f.name: f for f in list_functions()}
    assert list(infos) == udfs.__all__
    assert infos["LLMCOST"].signature == (
        "LLMCOST(params, tokens, gpu, [price_per_gpu_hour], [mfu], [active_params])")
    assert infos["LLMFLOPS"].signature == "LLMFLOPS(params, tokens, [active_params])"
    assert infos["LLMENERGY"].signature == "LLMENERGY(gpu_hours, gpu, [pue], [power_w])"
    assert infos["LLMCHINCHILLA"].signature == (
        "LLMCHINCHILLA(budget, gpu, [price_per_gpu_hour], [mfu])")
    for f in infos.values():
        assert f.summary and f.doc.startswith(f.summary[:20])
        assert all(a.help for a in f.args)


def test_functions_command_prints_signatures() -> None:
    res = CliRunner().invoke(main, ["functions"])
    assert res.exit_code == 0, res.output
    for f in list_functions():
        assert f.signature in res.output
        assert f.summary in res.output


def test_functions_json() -> None:
    res = CliRunner().invoke(main, ["functions", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [d["name"] for d in data] == udfs.__all__
    cost = data[0]
    assert cost["args"][3] == {
        "name": "price_per_gpu_hour", "optional": True,
        "help": udfs.ARG_HELP["price_per_gpu_hour"]}
    assert cost["doc"].startswith("Cost of one training run")


def test_docs_reference_section_is_the_generated_one() -> None:
    doc = (ROOT / "docs" / "excel-functions.md").read_text(encoding="utf-8")
    assert REFERENCE_START in doc and REFERENCE_END in doc
    section = doc.split(REFERENCE_START, 1)[1].split(REFERENCE_END, 1)[0]
    assert section.strip() == reference_markdown().strip(), (
        "docs/excel-functions.md is out of date: paste `costsheet functions --markdown` "
        "between the reference markers")
    res = CliRunner().invoke(main, ["functions", "--markdown"])
    assert res.output == reference_markdown()


def test_shipped_workbook_names_the_udf_module_and_keeps_xlwings_vba() -> None:
    from openpyxl import load_workbook

    path = ROOT / "templates" / "costsheet-functions.xlsm"
    wb = load_workbook(path, keep_vba=True)
    conf = {r[0]: r[1] for r in wb["xlwings.conf"].iter_rows(values_only=True) if r[0]}
    assert conf["UDF Modules"] == "costsheet.udfs"
    formulas = [str(c.value.text if hasattr(c.value, "text") else c.value)
                for row in wb["Examples"].iter_rows() for c in row
                if c.data_type == "f" or hasattr(c.value, "text")]
    for name in udfs.__all__:
        assert any(f.startswith(f"={name}(") for f in formulas), name
    with zipfile.ZipFile(path) as z:
        vba = z.read("xl/vbaProject.bin")
    # the VBA project of `xlwings quickstart` (xlwings 0.37.8), byte for byte: editing the
    # sheets with openpyxl (keep_vba=True) must not touch it
    assert hashlib.sha256(vba).hexdigest() == QUICKSTART_VBA_SHA256

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


def _xlwings_conf(ws) -> dict[str, object]:
    """The settings as xlwings' VBA reads them (GetConfigFromSheet): A1 down to the first
    empty cell of column A, keys upper-cased."""
    out: dict[str, object] = {}
    for key, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key in (None, ""):
            break
        out[str(key).upper()] = value
    return out


def test_shipped_workbook_sets_only_the_udf_module() -> None:
    from openpyxl import load_workbook

    wb = load_workbook(ROOT / "templates" / "costsheet-functions.xlsm", keep_vba=True)
    # nothing pins the interpreter or Conda: a key on the sheet wins over the ribbon even when
    # empty, so only UDF Modules is there
    assert _xlwings_conf(wb["xlwings.conf"]) == {"UDF MODULES": "costsheet.udfs"}
    formulas = [str(c.value.text if hasattr(c.value, "text") else c.value)
                for row in wb["Examples"].iter_rows() for c in row
                if c.data_type == "f" or hasattr(c.value, "text")]
    for name in udfs.__all__:
        assert any(f.startswith(f"={name}(") for f in formulas), name


def test_shipped_workbook_keeps_xlwings_vba_without_the_sample_macro() -> None:
    import io
    import sys

    import olefile

    sys.path.insert(0, str(ROOT / "tools"))
    import ovba

    with zipfile.ZipFile(ROOT / "templates" / "costsheet-functions.xlsm") as z:
        ours = z.read("xl/vbaProject.bin")
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as z:
        theirs = z.read("xl/vbaProject.bin")
    # the VBA project of `xlwings quickstart` (xlwings 0.37.8) ...
    assert hashlib.sha256(theirs).hexdigest() == QUICKSTART_VBA_SHA256
    # ... byte for byte (its reference to the xlwings add-in, the document modules), except
    # Module1, whose SampleCall macro would run `import costsheet-functions`, and the compiled
    # caches, marked stale so Excel compiles the source it finds
    a, b = olefile.OleFileIO(io.BytesIO(theirs)), olefile.OleFileIO(io.BytesIO(ours))
    assert a.listdir() == b.listdir()
    changed = {"/".join(p) for p in a.listdir()
               if a.openstream(p).read() != b.openstream(p).read()}
    assert changed == {"VBA/Module1", "VBA/_VBA_PROJECT"}
    assert b.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"
    assert "Sub SampleCall" in ovba.module_source(theirs, "Module1")  # the decoder reads theirs
    source = ovba.module_source(ours, "Module1")
    assert source.startswith('Attribute VB_Name = "Module1"\r\n')
    code = [line for line in source.splitlines()[1:] if not line.lstrip().startswith("'")]
    assert code == []  # comments only: no macro left
    for module in ("ThisWorkbook", "Sheet1", "Sheet2"):
        assert ovba.module_source(ours, module) == ovba.module_source(theirs, module)
    dir_stream = ovba.decompress(b.openstream("VBA/dir").read())
    assert b"xlwings.xlam" in dir_stream  # the reference the imported functions need


def test_ovba_compression_round_trips() -> None:
    import random
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import ovba

    rng = random.Random(14)
    for n in (0, 1, 5, 300, 4095, 4096, 4097, 9000):
        data = bytes(rng.choice(b"ab c\r\nSub End") for _ in range(n))
        assert ovba.decompress(ovba.compress(data)) == data

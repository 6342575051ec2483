"""Rebuild templates/costsheet-functions.xlsm.

Usage (from the repo root, with the venv and its test extra, which brings olefile):
    cd /tmp && xlwings quickstart costsheet_functions
    python templates/build_functions_template.py /tmp/costsheet_functions/costsheet_functions.xlsm \
        templates/costsheet-functions.xlsm

Starts from the .xlsm that `xlwings quickstart` makes (a copy of xlwings' quickstart.xlsm: its
VBA project holds the reference to the xlwings add-in that the imported functions need) and:
- names costsheet.udfs on its xlwings.conf sheet, and nothing else there: no Interpreter or
  Conda rows, so the Python comes from the ribbon / `xlwings addin install` (a key on the sheet
  wins over the ribbon even when its value is empty);
- takes the sample macro SampleCall out of its VBA project (it would run
  `import costsheet-functions`), leaving every other part of the project byte for byte
  (tools/ovba.py);
- adds example formulas with the values costsheet computes for them;
- writes its fonts' children in the order Excel's schema wants (openpyxl does not).
"""
import hashlib
import io
import sys
import zipfile
from pathlib import Path

from costsheet.udfs import LLMCHINCHILLA, LLMCOST, LLMCOSTTABLE, LLMENERGY, LLMFLOPS, LLMGPUHOURS
from costsheet.workbook.ooxml.styles import fonts_in_schema_order
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import ovba  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
wb = load_workbook(src, keep_vba=True)
conf = wb["_xlwings.conf"]
conf.title = "xlwings.conf"  # without the leading underscore xlwings reads it
conf.delete_rows(1, conf.max_row)
# xlwings reads A1 down to the first empty cell: one setting, then the notes after a gap
conf["A1"], conf["B1"] = "UDF Modules", "costsheet.udfs"
notes = [
    "Only UDF Modules is set here. xlwings reads this sheet from A1 down to the first empty row.",
    "The Python that runs the functions comes from the xlwings tab (Interpreter, or Conda Path "
    "and Conda Env), which `xlwings addin install` fills in.",
    "A setting typed here overrides the xlwings tab for this workbook, even when its value is "
    "empty: add an Interpreter_Win row only to tie this workbook to one particular Python.",
]
for i, text in enumerate(notes, start=3):
    conf[f"A{i}"] = text
conf.column_dimensions["A"].width = 16
conf.column_dimensions["B"].width = 18

ws = wb["Sheet1"]
ws.title = "Examples"
bold = Font(bold=True)
head_fill = PatternFill("solid", fgColor="DDEBF7")
num = "#,##0"
sci = "0.00E+00"


def text(cell, value):
    ws[cell] = value
    ws[cell].data_type = "s"  # formula text shown as text, not evaluated


ws["A1"] = "costsheet: live Excel functions (xlwings)"
ws["A1"].font = Font(bold=True, size=14)
ws["A2"] = ("Set up once, as docs/excel-functions.md says: install costsheet into Python, run "
            "`xlwings addin install`, enable this workbook's macros, then click Import Functions "
            "on the xlwings tab. Until then the Result cells show #NAME?.")
ws["A3"] = ("Expected: what costsheet computed for the same inputs when this file was made; "
            "Result should match it.")
for c, h in zip("ABCD", ["What", "Formula", "Result", "Expected"], strict=False):
    ws[f"{c}5"] = h
    ws[f"{c}5"].font = bold
    ws[f"{c}5"].fill = head_fill

examples = [
    ("Cost of 7B params on 2T tokens, H100 (catalog price)", 'LLMCOST("7B","2T","H100")',
     LLMCOST("7B", "2T", "H100"), num),
    ("Same at $2.00/GPU-h and 35% MFU", 'LLMCOST("7B","2T","H100",2,"35%")',
     LLMCOST("7B", "2T", "H100", 2, "35%"), num),
    ("GPU-hours for it", 'LLMGPUHOURS("7B","2T","H100")', LLMGPUHOURS("7B", "2T", "H100"), num),
    ("FLOPs of a 671B MoE (37B active) on 14.8T tokens", 'LLMFLOPS("671B","14.8T","37B")',
     LLMFLOPS("671B", "14.8T", "37B"), sci),
    ("Energy (kWh) of 2.788M H800 GPU-hours", 'LLMENERGY("2.788M","H800")',
     LLMENERGY("2.788M", "H800"), num),
]
r = 6
for what, formula, expected, fmt in examples:
    ws[f"A{r}"] = what
    text(f"B{r}", "=" + formula)
    ws[f"C{r}"] = "=" + formula
    ws[f"D{r}"] = expected
    ws[f"C{r}"].number_format = ws[f"D{r}"].number_format = fmt
    r += 1

# compute-optimal: spills two cells to the right (params, tokens)
r += 1
ws[f"A{r}"] = "Compute-optimal model for $1M on H100 (params, tokens)"
text(f"B{r}", '=LLMCHINCHILLA(1000000,"H100")')
ws[f"C{r}"] = ArrayFormula(f"C{r}:D{r}", '=LLMCHINCHILLA(1000000,"H100")')
[[n_opt, d_opt]] = LLMCHINCHILLA(1000000, "H100")
ws[f"E{r}"] = n_opt
ws[f"F{r}"] = d_opt
for c in "CDEF":
    ws[f"{c}{r}"].number_format = sci
ws[f"E{r - 1}"] = "Expected params"
ws[f"F{r - 1}"] = "Expected tokens"
ws[f"E{r - 1}"].font = ws[f"F{r - 1}"].font = bold
chin_row = r

# a column range: one call for the whole column
r += 2
ws[f"A{r}"] = "A column of runs: one call prices the whole range"
ws[f"A{r}"].font = bold
r += 1
for c, h in zip("ABCDE", ["Params", "Tokens", "GPU", "Cost (one call)", "Expected"], strict=False):
    ws[f"{c}{r}"] = h
    ws[f"{c}{r}"].font = bold
    ws[f"{c}{r}"].fill = head_fill
runs = [("1B", "20B", "H100"), ("7B", "2T", "H100"), ("13B", "2T", "A100"),
        ("70B", "15T", "H200"), ("405B", "15.6T", "H100"), (None, None, None)]
first = r + 1
last = r + len(runs)
for i, (p, t, g) in enumerate(runs):
    ws[f"A{first + i}"] = p
    ws[f"B{first + i}"] = t
    ws[f"C{first + i}"] = g
expected = LLMCOST([[x[0]] for x in runs], [[x[1]] for x in runs], [[x[2]] for x in runs])
rng = f"A{first}:A{last}, B{first}:B{last}, C{first}:C{last}"
formula = f"=LLMCOST(A{first}:A{last},B{first}:B{last},C{first}:C{last})"
ws[f"D{first}"] = ArrayFormula(f"D{first}:D{last}", formula)
for i, (v,) in enumerate(expected):
    ws[f"E{first + i}"] = v
    ws[f"D{first + i}"].number_format = ws[f"E{first + i}"].number_format = num
text(f"A{last + 1}", f"Formula in D{first}:D{last}: {formula}  (the empty row gives an empty cell)")
ws[f"A{last + 1}"].font = Font(italic=True)

# the breakdown table
r = last + 3
ws[f"A{r}"] = "Breakdown of one run: 7B, 2T tokens, 1,024 H100"
ws[f"A{r}"].font = bold
text(f"B{r}", '=LLMCOSTTABLE("7B","2T","H100",1024)')
table = LLMCOSTTABLE("7B", "2T", "H100", 1024)
top = r + 1
ws[f"C{top}"] = ArrayFormula(f"C{top}:D{top + len(table) - 1}",
                             '=LLMCOSTTABLE("7B","2T","H100",1024)')
ws[f"A{top}"] = "Result (spills 6 rows x 2 columns) in C:D; expected in E:F"
ws[f"A{top}"].font = Font(italic=True)
for i, (label, value) in enumerate(table):
    ws[f"E{top + i}"] = label
    ws[f"F{top + i}"] = value
    fmt = sci if label == "FLOPs" else ("#,##0.0" if label.startswith("Wall") else num)
    ws[f"D{top + i}"].number_format = ws[f"F{top + i}"].number_format = fmt

for col, w in zip("ABCDEF", [52, 40, 18, 18, 18, 18], strict=False):
    ws.column_dimensions[col].width = w
for cell in ("A2", "A3"):
    ws[cell].alignment = Alignment(wrap_text=False)
ws.page_setup.orientation = "landscape"
ws.sheet_properties.pageSetUpPr.fitToPage = True
ws.page_setup.fitToWidth = 1
ws.page_setup.fitToHeight = 0
wb.active = 0
wb.save(out)

# the VBA project: xlwings' own, without the SampleCall macro
with zipfile.ZipFile(src) as z:
    original_vba = z.read("xl/vbaProject.bin")
vba = ovba.replace_module_source(original_vba, "Module1", ovba.SAMPLE_REMOVED)
buf = io.BytesIO()
with zipfile.ZipFile(out) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = vba if info.filename == "xl/vbaProject.bin" else zin.read(info.filename)
        if info.filename == "xl/styles.xml":
            data = fonts_in_schema_order(data)
        zout.writestr(info, data)
Path(out).write_bytes(buf.getvalue())
assert "Sub " not in ovba.module_source(vba, "Module1")
print("vbaProject.bin:", hashlib.sha256(vba).hexdigest(), "(xlwings' without SampleCall)")

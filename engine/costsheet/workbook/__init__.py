"""Reading and writing workbooks (openpyxl for cells, zip-level work for the package).

openpyxl switches to lxml whenever lxml is importable; that changes the bytes it writes and how
hostile XML (entity bombs) is parsed. costsheet is built and tested on openpyxl's standard-library
path, so it asks for that path here, before any module of this package imports openpyxl (an
explicit ``OPENPYXL_LXML`` in the environment is respected; a program that imported openpyxl
before costsheet keeps what it chose).
"""

import os

os.environ.setdefault("OPENPYXL_LXML", "False")

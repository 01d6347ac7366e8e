"""Import of plans from another SIP tool's export (CSV or Excel): docs/import.md.

`read_table` reads the file (`tables.py`), `import_table` loads each line as a draft plan
through the plan services in its own savepoint (`load.py`, with the line checked by
`records.py`), and the report says what was read, imported and refused (`refusals.py`).
"""

from samplan.plans.imports.load import ImportReport, import_table
from samplan.plans.imports.refusals import REASONS, Refusal
from samplan.plans.imports.tables import ImportFileError, Table, read_table, write_table

__all__ = [
    "REASONS",
    "ImportFileError",
    "ImportReport",
    "Refusal",
    "Table",
    "import_table",
    "read_table",
    "write_table",
]

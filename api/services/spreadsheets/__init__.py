"""Spreadsheets in and out: templates, checked imports and exports of the officers' lists.

labels: the field → Chinese label mapping; cells: cell values → API values;
sheets: reading files; importing: the row-by-row import; exporting: templates, exports.
"""

from __future__ import annotations

from api.services.spreadsheets.cells import build_payload
from api.services.spreadsheets.exporting import (
    matches_export_rows,
    table_workbook,
    template_csv,
    template_workbook,
)
from api.services.spreadsheets.importing import IMPORT_MODES, ImportReport, import_spreadsheet
from api.services.spreadsheets.labels import (
    ASSET_COLUMNS,
    COMPONENT_LABELS,
    ENTERPRISE_COLUMNS,
    FIELD_LABELS,
    PARTNER_COLUMNS,
    error_text,
    field_label,
    localize_message,
)

__all__ = [
    "ASSET_COLUMNS",
    "COMPONENT_LABELS",
    "ENTERPRISE_COLUMNS",
    "FIELD_LABELS",
    "IMPORT_MODES",
    "ImportReport",
    "PARTNER_COLUMNS",
    "build_payload",
    "error_text",
    "field_label",
    "import_spreadsheet",
    "localize_message",
    "matches_export_rows",
    "table_workbook",
    "template_csv",
    "template_workbook",
]

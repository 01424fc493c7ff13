"""Write the reconciliation per agency (CSV files and one XLSX workbook) and the summary of all
sources (JSON, and one self-contained HTML page: no external CSS, JS or fonts).

CSV is written by DuckDB itself (``COPY``); the workbook is streamed row by row with XlsxWriter
in constant-memory mode, with formulas off so that a value such as ``=1+1`` typed by an agency
stays text. The HTML summary carries counts only, no personal data, so it can be circulated.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import xlsxwriter
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ndc.link.reconcile_labels import COLUMNS, KIND_TITLES, SHEETS, TRANSLATED, VALUES, both
from ndc.link.reconcile_pairs import COLUMNS as FINDING_COLUMNS
from ndc.link.reconcile_pairs import KINDS

if TYPE_CHECKING:
    from ndc.link.reconcile import SourceReconciliation

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row; the CSV holds everything
# Columns left out of the workbook (the CSV has them): constant per agency, or implied by
# another column (the field names the entity, the method the probability). Writing cells is
# the slowest part of the report at national volume (about 8 µs a cell).
XLSX_DROP: dict[str, tuple[str, ...]] = {
    "field_discrepancies": ("source_id", "entity", "match_probability"),
    "wrong_identifiers": ("source_id",),
    "deceased_active": ("source_id",),
    "dissolved_active": ("source_id",),
}
PALETTE = {"linked": "#0072B2", "review": "#E69F00", "unmatched": "#D55E00"}  # Okabe-Ito
_TEMPLATES = Path(__file__).parent / "templates"
ORDER = {
    "field_discrepancies": "field, kind, record_key",
    "wrong_identifiers": "entity, kind, record_key",
    "deceased_active": "date_of_death, record_key",
    "dissolved_active": "role, enterprise_id, record_key",
}


def _finding_sql(kind: str, source_id: str) -> str:
    # source ids match ^[a-z][a-z0-9_]*$ (SourceConfig): safe to inline, COPY takes no parameters
    return (
        f"SELECT {', '.join(FINDING_COLUMNS[kind])} FROM _rc_{kind} "
        f"WHERE source_id = '{source_id}' ORDER BY {ORDER[kind]}"
    )


def _summary_rows(r: SourceReconciliation) -> list[tuple[str, str, str, int]]:
    """(section, entity/kind, item, count) rows: the summary sheet and ``summary.csv``."""
    rows: list[tuple[str, str, str, int]] = [
        ("records", "", "in_force", r.records),
        ("records", "", "quarantined", r.quarantined),
    ]
    for c in r.links:
        outcome = (("linked", c.linked), ("review", c.review), ("unmatched", c.unmatched))
        rows += [("links", c.entity, s, n) for s, n in outcome]
        rows += [("linked_by_method", c.entity, m, n) for m, n in sorted(c.methods.items())]
    for kind in KINDS:
        rows.append(("findings", kind, "total", r.findings.get(kind, 0)))
        rows += [(kind, a, b, n) for a, b, n in r.breakdown.get(kind, [])]
    return rows


def _write_sheet(book: Any, kind: str, table: pa.Table, header: Any) -> int:
    """One finding kind as a sheet: the table's columns (codes shown with their labels)."""
    sheet = book.add_worksheet(SHEETS[kind])
    names = table.column_names
    sheet.write_row(0, 0, [f"{COLUMNS[c][0]} / {COLUMNS[c][1]}" for c in names], header)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, len(names) - 1, 22)
    n = min(int(table.num_rows), XLSX_MAX_ROWS)
    columns = []
    for name in names:
        values = table.column(name).slice(0, n).to_pylist()
        if name in TRANSLATED:
            values = [both(v) if v in VALUES else v for v in values]
        columns.append(values)
    write = sheet.write_row
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        write(i, 0, row)
    sheet.autofilter(0, 0, max(n, 1), len(names) - 1)
    return n


def export_source(
    con: duckdb.DuckDBPyConnection, r: SourceReconciliation, folder: Path
) -> dict[str, pa.Table]:
    """Write ``summary.csv`` and one CSV per finding kind into ``folder`` (``r.files``), and
    return the findings (less ``XLSX_DROP``) for :func:`write_workbook`."""
    folder.mkdir(parents=True, exist_ok=True)
    r.files["summary"] = folder / "summary.csv"
    with r.files["summary"].open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("section", "group", "item", "count"))
        w.writerows(_summary_rows(r))
    tables = {}
    for kind in KINDS:
        r.files[kind] = folder / f"{kind}.csv"
        path = str(r.files[kind]).replace("'", "''")
        sql = _finding_sql(kind, r.source_id)
        con.execute(f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',')")
        tables[kind] = con.sql(sql).to_arrow_table().drop_columns(list(XLSX_DROP[kind]))
    r.files["xlsx"] = folder / f"{r.source_id}.xlsx"
    return tables


def write_workbook(r: SourceReconciliation, tables: dict[str, pa.Table]) -> Path:
    """``<source>.xlsx``: the summary sheet, then one sheet per finding kind. Pure Python (the
    caller runs it in a thread while DuckDB computes the next source)."""
    path = r.files["xlsx"]
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        header = book.add_format({"bold": True, "bg_color": "#F6F8FA", "text_wrap": True})
        sheet = book.add_worksheet(SHEETS["summary"])
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 3, 30)
        sheet.write_row(0, 0, [f"{r.title_vi} — {r.source_id}"], header)
        sheet.write_row(1, 0, [r.title_en])
        sheet.write_row(2, 0, [f"{r.owner_vi} / {r.owner_en}"])
        sheet.write_row(
            4, 0, ["Mục / Section", "Nhóm / Group", "Chi tiết / Item", "Số lượng / Count"], header
        )
        for i, (section, group, item, n) in enumerate(_summary_rows(r), start=5):
            title = KIND_TITLES.get(section)
            section_label = f"{title[0]} / {title[1]}" if title else section
            sheet.write_row(i, 0, [section_label, both(group), both(item), n])
        for kind in KINDS:
            _write_sheet(book, kind, tables[kind], header)
    finally:
        book.close()
    return path


# --- summary of all sources -------------------------------------------------------------------


def summary_json(results: list[SourceReconciliation], generated_at: datetime) -> dict[str, Any]:
    return {
        "title_vi": "Báo cáo đối soát dữ liệu với CSDL gốc",
        "title_en": "Reconciliation with the registers",
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "sources": [
            {
                "source_id": r.source_id,
                "title_vi": r.title_vi,
                "title_en": r.title_en,
                "owner_vi": r.owner_vi,
                "owner_en": r.owner_en,
                "records": r.records,
                "quarantined": r.quarantined,
                "matched": r.matched,
                "unmatched": r.unmatched,
                "ambiguous": r.ambiguous,
                "links": [{**asdict(c), "records": c.records} for c in r.links],
                "findings": r.findings,
                "breakdown": {k: [list(t) for t in v] for k, v in r.breakdown.items()},
                "files": {k: str(p) for k, p in r.files.items()},
                "seconds": round(r.seconds, 3),
            }
            for r in results
        ],
    }


def _num(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def _pct(part: int, whole: int) -> str:
    """Floored to one decimal (decimal comma): 4,660 of 4,661 never shows as 100,0 %."""
    if not whole:
        return "—"
    return f"{math.floor(1000 * part / whole + 1e-9) / 10:.1f}".replace(".", ",") + " %"


def render_html(card: dict[str, Any], out: Path) -> str:
    """The summary page (autoescaped: source data never becomes markup)."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(("html", "j2"), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, label=both)
    env.globals.update(pct=_pct)

    def rel(path: str) -> str:
        return Path(path).relative_to(out).as_posix() if Path(path).is_relative_to(out) else path

    env.filters["rel"] = rel
    return env.get_template("reconcile.html.j2").render(
        card=card, kinds=KIND_TITLES, palette=PALETTE
    )


def write_summary(results: list[SourceReconciliation], out: Path) -> tuple[Path, Path]:
    """``reconciliation.json`` and ``reconciliation.html`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    card = summary_json(results, datetime.now(UTC).replace(tzinfo=None))
    json_path, html_path = out / "reconciliation.json", out / "reconciliation.html"
    json_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(card, out), encoding="utf-8")
    return json_path, html_path

"""Source registry: shipped configs load and fit the dictionary; a config in the data directory
overrides a shipped one; mistakes are reported with the file and the field."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ndc.cli import app
from ndc.settings import get_settings
from ndc.sources.exceptions import SourceConfigError
from ndc.sources.schemas import SourceConfig
from ndc.sources.service import check_source, get_config, load_config, load_configs

SHIPPED = {
    "business_registry",
    "civil_servants",
    "civil_status",
    "driving_licences",
    "health_insurance",
    "land_registry",
    "population",
    "social_insurance",
    "tax",
}

OVERRIDE = """\
id: tax
title_vi: Thuế (bản địa phương)
title_en: Tax (local copy)
owner: {code: thue, name_vi: Cục Thuế, name_en: Tax Department}
entity: tax_registration
connection: {kind: file, format: csv, path: tax/*.csv, delimiter: ";"}
key: [MA_HS]
mapping:
  tax_id: {column: MST, transform: identifier}
"""


def test_shipped_configs_load_and_fit_the_dictionary(tmp_path: Path) -> None:
    configs = load_configs(tmp_path)
    assert {c.id for c in configs} == SHIPPED
    for cfg in configs:
        result = check_source(cfg, tmp_path)
        # No data generated here: the only problem allowed is the unreachable data.
        allowed = ("no file matches", "not found", "not reachable")
        assert all(any(a in p for a in allowed) for p in result.problems), (
            cfg.id,
            result.problems,
        )


def test_data_dir_config_overrides_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "my_tax.yaml").write_text(OVERRIDE, encoding="utf-8")
    cfg = get_config(tmp_path, "tax")
    assert cfg.title_en == "Tax (local copy)"
    assert cfg.connection.kind == "file" and cfg.connection.delimiter == ";"
    assert len(load_configs(tmp_path)) == len(SHIPPED)


def test_unknown_source_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="no source 'taxx'"):
        get_config(tmp_path, "taxx")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (OVERRIDE.replace("key: [MA_HS]\n", ""), r"key: Field required"),
        (OVERRIDE.replace("kind: file, ", "kind: ftp, "), r"connection"),
        (OVERRIDE + "sync: {mode: incremental}\n", r"watermark"),
        (OVERRIDE + "colour: blue\n", r"colour"),
        (OVERRIDE.replace("id: tax", "id: Tax-1"), r"id"),
        ("id: [unclosed\n", r"not valid YAML"),
    ],
    ids=["no-key", "bad-kind", "incremental-without-watermark", "unknown-key", "bad-id", "yaml"],
)
def test_invalid_config_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceConfigError, match=message) as err:
        load_config(path)
    assert "bad.yaml" in str(err.value)


def test_sql_config_needs_table_or_query() -> None:
    base = SourceConfig.model_validate(
        {
            **load_config_dict(),
            "connection": {"kind": "sql", "url": "sqlite://", "table": "t"},
        }
    )
    assert base.connection.kind == "sql"
    with pytest.raises(ValueError, match="exactly one of 'table' or 'query'"):
        SourceConfig.model_validate(
            {**load_config_dict(), "connection": {"kind": "sql", "url": "sqlite://"}}
        )


def load_config_dict() -> dict[str, object]:
    import yaml

    data: dict[str, object] = yaml.safe_load(OVERRIDE)
    return data


def test_check_reports_mapping_outside_the_dictionary(tmp_path: Path) -> None:
    data = load_config_dict()
    data["mapping"] = {"tax_idd": {"column": "MST", "transform": "identifier"}}
    result = check_source(SourceConfig.model_validate(data), tmp_path)
    assert not result.ok
    assert any("has no field 'tax_idd'" in p for p in result.problems)


def test_check_sql_source_reachable_and_missing_table(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.sqlite")
    db.execute("CREATE TABLE dk (MA_HS TEXT, MST TEXT)")
    db.close()
    data = load_config_dict()
    data["connection"] = {"kind": "sql", "url": "sqlite:///{data_dir}/s.sqlite", "table": "dk"}
    assert check_source(SourceConfig.model_validate(data), tmp_path).ok
    data["connection"] = {"kind": "sql", "url": "sqlite:///{data_dir}/s.sqlite", "table": "x"}
    result = check_source(SourceConfig.model_validate(data), tmp_path)
    assert result.problems == ["table 'x' not found"]


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "ndc-data"
    d.mkdir()
    monkeypatch.setenv("NDC_DATA_DIR", str(d))
    get_settings.cache_clear()
    yield d
    get_settings.cache_clear()


def test_cli_sources_list(cli_data_dir: Path) -> None:
    res = runner.invoke(app, ["sources", "list"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for source_id in SHIPPED:
        assert source_id in res.output
    assert "Bộ Công an" in res.output


def test_cli_sources_show(cli_data_dir: Path) -> None:
    res = runner.invoke(app, ["sources", "show", "tax"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "id: tax" in res.output and "MA_HS" in res.output and "mode: full" in res.output
    bad = runner.invoke(app, ["sources", "show", "taxx"])
    assert bad.exit_code == 2
    assert "no source 'taxx'" in bad.output


def test_cli_sources_check(cli_data_dir: Path) -> None:
    res = runner.invoke(app, ["sources", "check", "tax"], env={"COLUMNS": "200"})
    assert res.exit_code == 1  # no data generated yet
    assert "tax" in res.output and "no file matches" in res.output
    (cli_data_dir / "sources").mkdir()
    (cli_data_dir / "sources" / "tax.yaml").write_text(OVERRIDE, encoding="utf-8")
    (cli_data_dir / "tax").mkdir()
    (cli_data_dir / "tax" / "a.csv").write_text("MA_HS;MST\nHS1;0100109106\n", encoding="utf-8")
    ok = runner.invoke(app, ["sources", "check", "tax"], env={"COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output and "1 file(s)" in ok.output

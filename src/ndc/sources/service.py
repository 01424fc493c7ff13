"""Source registry: find, load and check source configuration files."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from ndc.sources.connectors import resolve_files
from ndc.sources.exceptions import SourceConfigError
from ndc.sources.schemas import FileConnection, SourceConfig

PACKAGED = "configs"


def config_dirs(data_dir: Path) -> list[Path]:
    """Where configs are looked up: ``<data_dir>/sources`` first, then the shipped ones."""
    shipped = Path(str(resources.files("ndc.sources").joinpath(PACKAGED)))
    return [data_dir / "sources", shipped]


def load_config(path: Path) -> SourceConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return SourceConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SourceConfigError(f"{path}: {problems}") from exc


def load_configs(data_dir: Path) -> list[SourceConfig]:
    """Every source config; one in the data directory overrides a shipped one of the same id."""
    found: dict[str, SourceConfig] = {}
    for folder in config_dirs(data_dir):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            cfg = load_config(path)
            found.setdefault(cfg.id, cfg)
    return sorted(found.values(), key=lambda c: c.id)


def get_config(data_dir: Path, source_id: str) -> SourceConfig:
    for cfg in load_configs(data_dir):
        if cfg.id == source_id:
            return cfg
    raise SourceConfigError(f"no source '{source_id}'")


@dataclass
class CheckResult:
    source_id: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_source(cfg: SourceConfig, data_dir: Path) -> CheckResult:
    """Check that the mapping fits the dictionary and the source is reachable."""
    from ndc.pipeline.fields import resolve

    result = CheckResult(cfg.id)
    try:
        resolve(cfg)
    except SourceConfigError as exc:
        result.problems.append(str(exc))
    conn = cfg.connection
    if isinstance(conn, FileConnection):
        files = resolve_files(conn, data_dir)
        if files:
            result.notes.append(f"{len(files)} file(s) match {conn.path}")
        else:
            result.problems.append(f"no file matches {conn.path}")
        return result
    url = conn.url.replace("{data_dir}", str(data_dir.resolve()))
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            if conn.table and not inspect(db).has_table(conn.table):
                result.problems.append(f"table '{conn.table}' not found")
            else:
                result.notes.append("database reachable")
    except SQLAlchemyError as exc:
        result.problems.append(f"database not reachable: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    return result

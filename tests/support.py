"""Helpers shared by test packages: a small person source over ``people.csv``."""

from __future__ import annotations

from typing import Any

from ndc.sources.schemas import SourceConfig

PERSON_MAPPING: dict[str, Any] = {
    "person_id": {"column": "cccd", "transform": "identifier"},
    "full_name": {"column": "ho_ten", "transform": "name"},
    "date_of_birth": {"column": "ngay_sinh", "transform": "date", "format": "%d/%m/%Y"},
    "sex": {"column": "gioi_tinh", "transform": "code", "values": {"Nam": "1", "Nữ": "2"}},
}


def person_config(extra_mapping: dict[str, Any] | None = None, **overrides: Any) -> SourceConfig:
    """A person source over ``people.csv`` in the data directory; ``overrides`` replace keys."""
    data: dict[str, Any] = {
        "id": "people",
        "title_vi": "Sổ dân cư thử nghiệm",
        "title_en": "Test population register",
        "owner": {"code": "test", "name_vi": "Cơ quan thử", "name_en": "Test agency"},
        "entity": "person",
        "licence": "CC-BY-4.0",
        "connection": {"kind": "file", "format": "csv", "path": "people.csv"},
        "key": ["cccd"],
        "mapping": {**PERSON_MAPPING, **(extra_mapping or {})},
    }
    data.update(overrides)
    return SourceConfig.model_validate(data)

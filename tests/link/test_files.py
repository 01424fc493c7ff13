"""The generic engine on two files: ``ndc link run`` and its configuration errors."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from ndc.cli import app
from ndc.link import LinkConfigError, link_files, load_config, parse_config
from ndc.standardize.text import fold_accents

CONFIG = {
    "columns": {
        "id": "ma",
        "full_name": "ho_ten",
        "date_of_birth": "ngay_sinh",
        "sex": "gioi_tinh",
        "commune": "ma_xa",
        "identifier": "so_cccd",
    },
    "right_columns": {
        "id": "cccd",
        "full_name": "full_name",
        "date_of_birth": "date_of_birth",
        "sex": "sex",
        "commune": "permanent_commune_code",
        "identifier": "cccd",
    },
    "date_formats": ["%d/%m/%Y", "%Y-%m-%d"],
    "training": {"u_max_pairs": 2e5, "em_max_pairs": 2e5},
}


def _typo(s: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(s) - 1)
    return (
        s[:i] + s[i + 1] + s[i] + s[i + 2 :] if s[i + 1] != " " else s[:i] + s[i] * 2 + s[i + 1 :]
    )


def _wrong_digit(s: str, rng: random.Random) -> str:
    i = rng.randrange(6, len(s))
    return s[:i] + str((int(s[i]) + 1) % 10) + s[i + 1 :]


FAULTS = {
    "clean": lambda r, g: r,
    "typo": lambda r, g: {**r, "ho_ten": _typo(r["ho_ten"], g)},
    "unaccented": lambda r, g: {**r, "ho_ten": fold_accents(r["ho_ten"]).title()},
    "swapped_dob": lambda r, g: {
        **r,
        "ngay_sinh": "/".join(r["ngay_sinh"].split("/")[i] for i in (1, 0, 2)),
    },
    "wrong_digit": lambda r, g: {**r, "so_cccd": _wrong_digit(r["so_cccd"], g)},
    "no_id_unaccented": lambda r, g: {**r, "so_cccd": "", "ho_ten": fold_accents(r["ho_ten"])},
}


@pytest.fixture(scope="module")
def files(
    nation: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, tuple[str, str]]]:
    """Right: the register (citizens parquet). Left: a CSV of 240 records, 40 per fault kind,
    whose truth is kept as {record id: (fault, cccd)}."""
    d = tmp_path_factory.mktemp("files")
    right = nation / "synth" / "population" / "citizens.parquet"
    rows = duckdb.sql(
        f"""SELECT cccd, full_name, strftime(date_of_birth, '%d/%m/%Y') AS dob, sex,
                   permanent_commune_code FROM '{right}'
            WHERE day(date_of_birth) <= 12 AND day(date_of_birth) <> month(date_of_birth)
            ORDER BY cccd LIMIT 240"""
    ).fetchall()
    rng = random.Random(5)
    left, truth = d / "left.csv", {}
    with left.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["ma", "ho_ten", "ngay_sinh", "gioi_tinh", "ma_xa", "so_cccd"])
        w.writeheader()
        for i, (cccd, name, dob, sex, commune) in enumerate(rows):
            fault = list(FAULTS)[i % len(FAULTS)]
            rec = {
                "ma": f"R{i:04d}",
                "ho_ten": name,
                "ngay_sinh": dob,
                "gioi_tinh": "Nam" if sex == "1" else "Nữ",
                "ma_xa": commune,
                "so_cccd": cccd,
            }
            w.writerow(FAULTS[fault](rec, rng))
            truth[rec["ma"]] = (fault, cccd)
    cfg = d / "link.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    return left, right, truth


@pytest.fixture(scope="module")
def cli_pairs(files: tuple[Path, Path, dict[str, tuple[str, str]]]) -> Path:
    left, right, _ = files
    out = left.parent / "pairs.csv"
    result = CliRunner().invoke(
        app,
        [
            "link",
            "run",
            "--left",
            str(left),
            "--right",
            str(right),
            "--config",
            str(left.parent / "link.yaml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "linked" in result.output
    return out


def test_cli_links_every_faulty_record_to_its_true_person(
    files: tuple[Path, Path, dict[str, tuple[str, str]]], cli_pairs: Path
) -> None:
    _, _, truth = files
    with cli_pairs.open(encoding="utf-8") as f:
        best = {r["left_id"]: r for r in csv.DictReader(f) if r["rank"] == "1"}
    for fault in FAULTS:
        keys = [k for k, (flt, _) in truth.items() if flt == fault]
        right = sum(
            1 for k in keys if best[k]["status"] == "linked" and best[k]["right_id"] == truth[k][1]
        )
        assert right == len(keys), fault
    methods = {r["method"] for k, r in best.items() if truth[k][0] == "clean"}
    assert methods == {"deterministic"}
    assert {r["method"] for k, r in best.items() if truth[k][0] == "typo"} == {"probabilistic"}
    assert all(float(r["match_probability"]) >= 0.9 for r in best.values())


def test_parquet_output(files: tuple[Path, Path, dict[str, tuple[str, str]]]) -> None:
    left, right, truth = files
    out = left.parent / "pairs.parquet"
    report = link_files(left, right, load_config(left.parent / "link.yaml"), out)
    assert report.left_rows == len(truth) and report.linked == len(truth)
    cols = [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * FROM '{out}'").fetchall()]
    assert cols == [
        "left_id",
        "right_id",
        "match_probability",
        "match_weight",
        "method",
        "rank",
        "status",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": {"id": "ma"}}, "columns: Value error, give `full_name`"),
        ({"blocking": [["surname"]]}, "blocking column 'surname' is not one of"),
        ({"threshold": 1.5}, "threshold: Input should be less than 1"),
        ({"review_threshold": 0.95}, "`review_threshold` must not exceed `threshold`"),
        ({"tresholds": 0.9}, "tresholds: Extra inputs are not permitted"),
    ],
)
def test_config_errors_say_which_key_is_wrong(change: dict[str, object], message: str) -> None:
    with pytest.raises(LinkConfigError, match=message.replace("`", ".")):
        parse_config({**CONFIG, **change})


def test_missing_input_column_is_named(
    files: tuple[Path, Path, dict[str, tuple[str, str]]], tmp_path: Path
) -> None:
    left, right, _ = files
    cfg = parse_config({**CONFIG, "columns": {**CONFIG["columns"], "sex": "phai"}})  # type: ignore[dict-item]
    with pytest.raises(LinkConfigError, match=r"left input has no column.*sex='phai'"):
        link_files(left, right, cfg, tmp_path / "out.csv")


def test_cli_reports_config_errors_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "link.yaml"
    bad.write_text("columns: [not, a, mapping]\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "link",
            "run",
            "--left",
            "a.csv",
            "--right",
            "b.csv",
            "--config",
            str(bad),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "columns" in result.output and "Traceback" not in result.output


def test_address_and_extra_columns_are_compared(
    files: tuple[Path, Path, dict[str, tuple[str, str]]], tmp_path: Path
) -> None:
    left, right, truth = files
    cols = {**CONFIG["columns"], "address": "ma_xa", "extra": {"gioi_tinh": "exact"}}  # type: ignore[dict-item]
    rcols = {
        **CONFIG["right_columns"],
        "address": "permanent_commune_code",  # type: ignore[dict-item]
        "extra": {"sex": "exact"},
    }
    cfg = parse_config({**CONFIG, "columns": cols, "right_columns": rcols})
    report = link_files(left, right, cfg, tmp_path / "pairs.csv")
    assert report.linked == len(truth)
    bad = parse_config({**CONFIG, "columns": {**cols, "extra": {"nghe": "fuzzy"}}})
    with pytest.raises(LinkConfigError, match="extra='nghe'"):
        link_files(left, right, bad, tmp_path / "pairs.csv")

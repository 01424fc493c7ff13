"""Splink comparisons for Vietnamese person records, over the canonical columns of ``engine``.

Why these levels: names differ by tone placement (hoà/hòa), missing accents, typos and swapped
parts; surnames are concentrated (Nguyễn ~38%), so exact name levels get term-frequency
adjustment; dates of birth arrive with day and month swapped or as a year only; identifiers carry
one or two wrong or dropped digits, and old records give the 9-digit CMND (``ident_alt``).
"""

from __future__ import annotations

from typing import Any

from ndc.link.config import LinkConfig


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(*cols: str) -> dict[str, Any]:
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
    return _level(sql, "null", is_null_level=True)


def name_comparison(tf: bool) -> dict[str, Any]:
    tf_args: dict[str, Any] = (
        {"tf_adjustment_column": "name_fold", "tf_adjustment_weight": 1.0} if tf else {}
    )
    jw = 'jaro_winkler_similarity("name_fold_l", "name_fold_r")'

    def lev(n: int) -> str:
        # the length test first: most pairs are told apart without computing the distance
        return (
            f'abs(length("name_fold_l") - length("name_fold_r")) <= {n} '
            f'AND levenshtein("name_fold_l", "name_fold_r") <= {n}'
        )

    return {
        "output_column_name": "name",
        "comparison_description": "full name",
        "comparison_levels": [
            _null("name_fold"),
            _level('"name_exact_l" = "name_exact_r"', "exact", **tf_args),
            _level('"name_tone_l" = "name_tone_r"', "tone-normalised", **tf_args),
            _level('"name_fold_l" = "name_fold_r"', "accent-folded", **tf_args),
            _level('"name_sorted_l" = "name_sorted_r"', "name parts swapped"),
            _level(
                '"family_fold_l" = "family_fold_r" AND "given_fold_l" = "given_fold_r"',
                "family and given name agree",
            ),
            _level(lev(1), "one edit (typo)"),
            _level(f"{jw} >= 0.94", "Jaro-Winkler >= 0.94"),
            _level(lev(2), "two edits"),
            _level(f"{jw} >= 0.85", "Jaro-Winkler >= 0.85"),
            _level('"given_fold_l" = "given_fold_r"', "given name agrees"),
            _level('"family_fold_l" = "family_fold_r"', "family name agrees"),
            _level("ELSE", "else"),
        ],
    }


def dob_comparison() -> dict[str, Any]:
    day = "\"dob_precision_l\" = 'day' AND \"dob_precision_r\" = 'day'"
    return {
        "output_column_name": "dob",
        "comparison_description": "date of birth",
        "comparison_levels": [
            _null("dob"),
            _level(f'"dob_l" = "dob_r" AND {day}', "exact"),
            _level(f'"dob_swapped_l" = "dob_r" AND {day}', "day and month swapped"),
            _level(
                "(\"dob_precision_l\" = 'year' OR \"dob_precision_r\" = 'year') "
                'AND "dob_year_l" = "dob_year_r"',
                "year only, same year",
            ),
            _level(
                'levenshtein(CAST("dob_l" AS VARCHAR), CAST("dob_r" AS VARCHAR)) <= 1',
                "one character",
            ),
            _level('"dob_year_l" = "dob_year_r"', "same year"),
            _level("ELSE", "else"),
        ],
    }


def ident_comparison() -> dict[str, Any]:
    def lev(n: int) -> str:
        return (
            f'(levenshtein("ident_l", "ident_r") <= {n} '
            f'OR levenshtein("ident_l", "ident_alt_r") <= {n})'
        )

    return {
        "output_column_name": "ident",
        "comparison_description": "identifier (CCCD, CMND, MST)",
        "comparison_levels": [
            _level(
                '"ident_l" IS NULL OR ("ident_r" IS NULL AND "ident_alt_r" IS NULL)',
                "null",
                is_null_level=True,
            ),
            _level('"ident_l" = "ident_r" OR "ident_l" = "ident_alt_r"', "exact"),
            _level(lev(1), "one digit wrong or dropped"),
            _level(lev(2), "two digits wrong"),
            _level("ELSE", "else"),
        ],
    }


def address_comparison() -> dict[str, Any]:
    jw = 'jaro_winkler_similarity("address_fold_l", "address_fold_r")'
    return {
        "output_column_name": "address",
        "comparison_description": "street address (accent-folded)",
        "comparison_levels": [
            _null("address_fold"),
            _level('"address_fold_l" = "address_fold_r"', "exact"),
            _level(f"{jw} >= 0.9", "Jaro-Winkler >= 0.9"),
            _level(f"{jw} >= 0.7", "Jaro-Winkler >= 0.7"),
            _level("ELSE", "else"),
        ],
    }


def simple_comparison(
    col: str, label: str, alt: bool = False, near: bool = False
) -> dict[str, Any]:
    exact = f'"{col}_l" = "{col}_r"'
    if alt:
        exact = f'({exact} OR "{col}_l" = "{col}_alt_r")'
    levels = [_null(col), _level(exact, "exact")]
    if near:
        levels.append(_level(f'damerau_levenshtein("{col}_l", "{col}_r") <= 1', "one character"))
    return {
        "output_column_name": col,
        "comparison_description": label,
        "comparison_levels": [*levels, _level("ELSE", "else")],
    }


def fuzzy_comparison(col: str) -> dict[str, Any]:
    jw = f'jaro_winkler_similarity("{col}_l", "{col}_r")'
    return {
        "output_column_name": col,
        "comparison_description": col,
        "comparison_levels": [
            _null(col),
            _level(f'"{col}_l" = "{col}_r"', "exact"),
            _level(f"{jw} >= 0.9", "Jaro-Winkler >= 0.9"),
            _level(f"{jw} >= 0.7", "Jaro-Winkler >= 0.7"),
            _level("ELSE", "else"),
        ],
    }


def _blocking_sql(rule: list[str] | str) -> str:
    if isinstance(rule, str):
        return rule
    return " AND ".join(f'l."{c}" = r."{c}"' for c in rule)


def blocking_rules(rules: list[list[str]] | list[list[str] | str]) -> list[dict[str, Any]]:
    return [{"blocking_rule": _blocking_sql(r)} for r in rules]


def settings_dict(cfg: LinkConfig, present: set[str], right_rows: int) -> dict[str, Any]:
    """A Splink settings dict over the canonical columns that are present in both inputs."""
    comparisons = [name_comparison(cfg.name_tf)]
    if "dob" in present:
        comparisons.append(dob_comparison())
    if "sex" in present:
        comparisons.append(simple_comparison("sex", "sex"))
    if "commune" in present:
        comparisons.append(
            simple_comparison("commune", "commune of residence", alt=True, near=True)
        )
    if "address_fold" in present:
        comparisons.append(address_comparison())
    if "ident" in present:
        comparisons.append(ident_comparison())
    for col in sorted(c for c in present if c.startswith(("xe_", "xf_"))):
        comparisons.append(
            simple_comparison(col, col[3:]) if col.startswith("xe_") else fuzzy_comparison(col)
        )
    usable = [r for r in cfg.blocking if isinstance(r, str) or set(r) <= present]
    return {
        "link_type": "link_only",
        "unique_id_column_name": "uid",
        # each left record matches about one register record
        "probability_two_random_records_match": min(0.5, 0.95 / max(right_rows, 1)),
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking_rules(usable),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "max_iterations": cfg.training.max_iterations,
    }

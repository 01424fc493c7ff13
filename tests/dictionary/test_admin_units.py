"""The old -> new administrative-unit mapping used to standardise old addresses."""

from __future__ import annotations

import math

from ndc.dictionary.admin_units import load_admin_units


def test_every_legacy_ward_maps_to_existing_new_communes() -> None:
    units = load_admin_units()
    assert set(units.mapping) == set(units.legacy_wards)
    for cands in units.mapping.values():
        assert cands and all(m.new_commune_code in units.communes for m in cands)


def test_split_wards_have_several_candidates_with_confidences_summing_to_one() -> None:
    units = load_admin_units()
    split = units.split_ward_codes
    assert 400 <= len(split) <= 500  # DOMAIN: 441 split wards; the package lists 471
    for code in split:
        cands = units.mapping[code]
        assert len(cands) > 1
        assert math.isclose(sum(m.confidence for m in cands), 1.0, abs_tol=1e-3)
        assert sum(m.is_default for m in cands) == 1
        best = units.new_commune_for(code)
        assert best is not None and best.is_default
        assert best.confidence == max(m.confidence for m in cands)


def test_unsplit_wards_map_with_full_confidence() -> None:
    units = load_admin_units()
    whole = [v[0] for v in units.mapping.values() if len(v) == 1]
    assert len(whole) + len(units.split_ward_codes) == len(units.legacy_wards)
    assert all(m.confidence == 1.0 and m.is_default for m in whole)


def test_known_example_phuc_xa_moves_to_ba_dinh() -> None:
    units = load_admin_units()
    old = units.legacy_wards["00001"]
    assert old.name == "Phường Phúc Xá" and old.district_name == "Quận Ba Đình"
    new = units.new_commune_for("00001")
    assert new is not None
    assert units.communes[new.new_commune_code].province_code == "01"  # still in Hà Nội


def test_wardless_island_districts_map_to_their_special_zones() -> None:
    units = load_admin_units()
    assert len(units.legacy_districts) == 696
    con_dao = next(d for d in units.legacy_districts.values() if d.name == "Huyện Côn Đảo")
    zone = units.communes[units.wardless_districts[con_dao.code]]
    assert zone.kind == "Đặc khu" and zone.short_name == "Côn Đảo"
    assert len(units.wardless_districts) == 5

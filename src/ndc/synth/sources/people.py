"""Person-centred sources: civil servants, social insurance, health insurance, driving licences."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.synth.frame import Column, Ctx, Frame, select_people
from ndc.synth.names import AGENCIES, POSITIONS
from ndc.synth.sources.base import (
    NO_NFD,
    SourceSpec,
    address_column,
    between,
    date_col,
    labels,
    person_frame,
    province_short,
    sex_text,
)
from ndc.synth.strings import cat, int_str

YEAR = 365


def _civil_servants(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop = ctx.pop
    age = pop.age()
    idx, dead = select_people(rng, ctx, (age >= 22) & (age <= 60), 0.02 * 1.6)
    f = person_frame("civil_servants", ctx, idx, dead)
    n = len(idx)
    a = pa.array(idx)
    agency = pa.array(AGENCIES).take(pa.array(rng.integers(0, len(AGENCIES), n)))
    hired = between(rng, pop.dob[idx] + 22 * YEAR, np.full(n, ctx.ref_day - 30))
    f.columns = {
        "ho_ten": Column(pop.full_name.take(a), "name"),
        "ngay_sinh": date_col(pop.dob[idx], "dd/mm/yyyy"),
        "gioi_tinh": Column(sex_text(pop.sex[idx], "Nam", "Nữ")),
        "so_cccd": Column(pop.cccd.take(a), "id"),
        "dan_toc": Column(labels("ethnicity", pop.ethnicity.take(a))),
        "que_quan": Column(
            pc.replace_substring_regex(
                ctx.geo.legacy_province_names.take(
                    pc.index_in(
                        pop.birth_legacy_province.take(a), value_set=ctx.geo.legacy_province_codes
                    )
                ),
                "^(Tỉnh|Thành phố) ",
                "",
            )
        ),
        "dia_chi_thuong_tru": address_column(
            f, ctx, pop.perm_commune[idx], pop.perm_street.take(a)
        ),
        "so_dien_thoai": Column(pop.phone.take(a), "phone"),
        "co_quan": Column(cat(agency, " ", province_short(ctx, pop.cur_commune[idx]))),
        "chuc_vu": Column(pa.array(POSITIONS).take(pa.array(rng.integers(0, len(POSITIONS), n)))),
        "ngay_tuyen_dung": date_col(hired, "dd/mm/yyyy", "day"),
    }
    return f


def _social_insurance(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop, ent = ctx.pop, ctx.ent
    age = pop.age()
    idx, dead = select_people(rng, ctx, (age >= 18) & (age <= 62), 0.45)
    f = person_frame("social_insurance", ctx, idx, dead)
    n = len(idx)
    a = pa.array(idx)
    active_ent = np.flatnonzero(ent.active)
    emp = active_ent[rng.integers(0, len(active_ent), n)]
    e = pa.array(emp)
    start = between(
        rng,
        np.maximum(pop.dob[idx] + 18 * YEAR, ctx.ref_day - 25 * YEAR),
        np.full(n, ctx.ref_day - 31),
    )
    salary = (np.round(rng.lognormal(np.log(9_000_000), 0.45, n) / 1000) * 1000).astype(np.int64)
    f.related["employer"] = ent.mst.take(e)
    f.columns = {
        "MA_SO_BHXH": Column(ctx.bhxh.take(a)),
        "HO_TEN": Column(pc.utf8_upper(pop.full_name.take(a)), "name"),
        "NGAY_SINH": date_col(pop.dob[idx], "yyyymmdd"),
        "GIOI_TINH": Column(sex_text(pop.sex[idx], "1", "0")),
        "SO_CCCD": Column(pop.cccd.take(a), "id"),
        "DIA_CHI": address_column(f, ctx, pop.cur_commune[idx], pop.cur_street.take(a)),
        "SO_DT": Column(pop.phone.take(a), "phone"),
        "MA_DV": Column(ent.mst.take(e)),
        "TEN_DV": Column(pc.utf8_upper(ent.name.take(e))),
        "MUC_LUONG": Column(salary, "number"),
        "TU_THANG": date_col(start, "mm/yyyy", "day"),
        "TRANG_THAI": Column(
            pa.array(np.where(rng.random(n) < 0.93, "Đang tham gia", "Dừng đóng"))
        ),
    }
    return f


_CARD_GROUPS = ("TE", "HS", "DN", "GD", "HT")


def _health_insurance(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop = ctx.pop
    idx, dead = select_people(rng, ctx, np.ones(pop.n, dtype=bool), 0.90)
    f = person_frame("health_insurance", ctx, idx, dead)
    n = len(idx)
    a = pa.array(idx)
    age = pop.age()[idx]
    group = np.select([age < 6, age < 18, age < 60], [0, 1, 2], 4)
    group = np.where((group == 2) & (rng.random(n) < 0.4), 3, group)
    prov = ctx.geo.province_codes.take(pa.array(ctx.geo.commune_province[pop.cur_commune[idx]]))
    card = cat(
        pa.array(_CARD_GROUPS).take(pa.array(group)),
        int_str(rng.integers(1, 6, n)),
        prov,
        ctx.bhxh.take(a),
    )
    valid_from = between(rng, np.full(n, ctx.ref_day - 300), np.full(n, ctx.ref_day - 1))
    f.columns = {
        "maThe": Column(card),
        "hoTen": Column(pop.full_name.take(a), "name"),
        "ngaySinh": date_col(pop.dob[idx], "yyyy-mm-dd"),
        "gioiTinh": Column(sex_text(pop.sex[idx], "Nam", "Nữ")),
        "soDinhDanh": Column(pop.cccd.take(a), "id"),
        "diaChi": address_column(f, ctx, pop.cur_commune[idx], pop.cur_street.take(a)),
        "soDienThoai": Column(pop.phone.take(a), "phone"),
        "maKCBBD": Column(cat(prov, "-", int_str(rng.integers(1, 300, n), 3))),
        "giaTriTu": date_col(valid_from, "yyyy-mm-dd", "day"),
        "giaTriDen": date_col(valid_from + 364, "yyyy-mm-dd", "day"),
    }
    return f


_CLASSES = ("A1", "A", "B", "C1", "C", "D", "A1", "B")


def _driving_licences(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop = ctx.pop
    age = pop.age()
    idx, dead = select_people(rng, ctx, (age >= 18) & (age <= 80), 0.55)
    f = person_frame("driving_licences", ctx, idx, dead)
    n = len(idx)
    a = pa.array(idx)
    cls = rng.integers(0, len(_CLASSES), n)
    issued = between(rng, pop.dob[idx] + 18 * YEAR, np.full(n, ctx.ref_day - 1))
    lifetime = np.isin(cls, (0, 1, 6))
    f.columns = {
        "ho_va_ten": Column(pop.full_name.take(a), "name"),
        "ngay_sinh": date_col(pop.dob[idx], None),
        "gioi_tinh": Column(sex_text(pop.sex[idx], "M", "F")),
        "so_cmnd_cccd": Column(pop.cccd.take(a), "id"),
        "noi_cu_tru": address_column(f, ctx, pop.cur_commune[idx], pop.cur_street.take(a)),
        "so_dien_thoai": Column(pop.phone.take(a), "phone"),
        "hang_gplx": Column(pa.array(_CLASSES).take(pa.array(cls))),
        "ngay_cap": date_col(issued, None, "day"),
        "ngay_het_han": Column(issued + 10 * YEAR, "day", nulls=lifetime),
        "noi_cap": Column(cat("Sở Xây dựng ", province_short(ctx, pop.cur_commune[idx]))),
    }
    return f


SPECS = (
    SourceSpec(
        name="civil_servants",
        agency="Bộ Nội vụ — CSDL cán bộ, công chức, viên chức",
        path="sources/civil_servants.csv",
        format="csv",
        entity="person",
        key="ma_ho_so",
        key_prefix="CBCC",
        key_width=8,
        build=_civil_servants,
        encoding="utf-8",
        delimiter=",",
        bom=True,
        newline="\r\n",
        date_format="dd/mm/yyyy",
    ),
    SourceSpec(
        name="social_insurance",
        agency="Bảo hiểm xã hội Việt Nam — người tham gia BHXH",
        path="sources/social_insurance.csv",
        format="csv",
        entity="person",
        key="ID_HS",
        key_prefix="",
        key_width=9,
        build=_social_insurance,
        faults=NO_NFD,
        encoding="cp1258",
        delimiter=";",
        newline="\r\n",
        date_format="yyyymmdd",
    ),
    SourceSpec(
        name="health_insurance",
        agency="Bảo hiểm xã hội Việt Nam — thẻ BHYT",
        path="sources/health_insurance.jsonl",
        format="jsonl",
        entity="person",
        key="recordId",
        key_prefix="BHYT-",
        key_width=10,
        build=_health_insurance,
        encoding="utf-8",
        date_format="yyyy-mm-dd",
    ),
    SourceSpec(
        name="driving_licences",
        agency="Bộ Xây dựng / Bộ Công an — giấy phép lái xe",
        path="sources/driving_licences.sqlite",
        format="sqlite",
        entity="person",
        key="so_gplx",
        key_prefix="",
        key_width=12,
        build=_driving_licences,
        table="giay_phep_lai_xe",
        date_format="DATE",
    ),
)

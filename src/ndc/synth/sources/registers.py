"""Business registration, tax, land and civil-status sources."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ndc.synth.enterprises import valid_msts
from ndc.synth.frame import Column, Ctx, Frame, select_people
from ndc.synth.geo import sample_communes, street_lines
from ndc.synth.sources.base import (
    NO_NFD,
    SourceSpec,
    address_column,
    between,
    date_col,
    person_frame,
    province_short,
    sex_text,
)
from ndc.synth.strings import cat, int_str

YEAR = 365
NULL_STR = pa.scalar(None, pa.string())


def _enterprise_frame(source: str, rows: np.ndarray, ctx: Ctx) -> Frame:
    return Frame(
        source=source,
        columns={},
        entity=np.full(len(rows), "enterprise", dtype=object),
        true_id=ctx.ent.mst.take(pa.array(rows)),
        person=np.full(len(rows), -1, dtype=np.int64),
        tone_ok=np.zeros(len(rows), dtype=bool),
    )


def _business_registration(rng: np.random.Generator, ctx: Ctx) -> Frame:
    ent, pop = ctx.ent, ctx.pop
    rows = rng.permutation(ent.n)
    f = _enterprise_frame("business_registration", rows, ctx)
    r = pa.array(rows)
    rep = ent.rep[rows]
    p = pa.array(rep)
    f.related["legal_representative"] = pop.cccd.take(p)
    f.columns = {
        "ma_so_doanh_nghiep": Column(ent.mst.take(r), "id"),
        "ten_doanh_nghiep": Column(ent.name.take(r), "name"),
        "loai_hinh": Column(ent.type_code.take(r)),
        "tinh_trang": Column(ent.status.take(r)),
        "ngay_thanh_lap": date_col(ent.founded[rows], None, "day"),
        "dia_chi_tru_so": address_column(f, ctx, ent.commune[rows], ent.street.take(r)),
        "von_dieu_le": Column(ent.capital[rows] * 1_000_000, "number"),
        "nguoi_dai_dien": Column(pop.full_name.take(p)),
        "so_giay_to_nguoi_dai_dien": Column(pop.cccd.take(p)),
        "ngay_sinh_nguoi_dai_dien": date_col(pop.dob[rep], None),
    }
    return f


def _tax(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop, ent = ctx.pop, ctx.ent
    age = pop.age()
    idx, dead = select_people(rng, ctx, (age >= 18) & (age <= 75), 0.35)
    person = person_frame("tax", ctx, idx, dead)
    company = _enterprise_frame("tax", np.arange(ent.n), ctx)
    n, m = len(idx), ent.n
    a = pa.array(idx)
    # individuals registered before 1 July 2025 kept their 10-digit MST; later ones use the CCCD
    july = int((np.datetime64("2025-07-01") - np.datetime64("1970-01-01")).astype(int))
    reg_p = between(
        rng,
        np.maximum(pop.dob[idx] + 18 * YEAR, ctx.ref_day - 20 * YEAR),
        np.full(n, ctx.ref_day - 1),
    )
    old = reg_p < july
    personal_mst = int_str(valid_msts(rng, n, exclude=set(ent.mst.to_pylist())), 10)
    mst_p = pc.if_else(pa.array(old), personal_mst, pop.cccd.take(a))
    person.columns = {
        "MST": Column(mst_p),
        "TEN_NNT": Column(pop.full_name.take(a), "name"),
        "LOAI_NNT": Column(pa.array(np.full(n, "CN"))),
        "NGAY_SINH": date_col(pop.dob[idx], "dd-mm-yy"),
        "SO_GIAY_TO": Column(pop.cccd.take(a), "id"),
        "DIA_CHI": address_column(person, ctx, pop.perm_commune[idx], pop.perm_street.take(a)),
        "SO_DT": Column(pop.phone.take(a), "phone"),
        "NGAY_CAP_MST": date_col(reg_p, "dd-mm-yy", "day"),
        "CQ_THUE": Column(cat("Thuế ", province_short(ctx, pop.perm_commune[idx]))),
    }
    company.columns = {
        "MST": Column(ent.mst),
        "TEN_NNT": Column(ent.name, "name"),
        "LOAI_NNT": Column(pa.array(np.full(m, "DN"))),
        "NGAY_SINH": Column(
            np.zeros(m, dtype=np.int32), "date", "dd-mm-yy", nulls=np.ones(m, bool)
        ),
        "SO_GIAY_TO": Column(pa.nulls(m, pa.string()), "id"),
        "DIA_CHI": address_column(company, ctx, ent.commune, ent.street),
        "SO_DT": Column(pa.nulls(m, pa.string()), "phone"),
        "NGAY_CAP_MST": date_col(ent.founded, "dd-mm-yy", "day"),
        "CQ_THUE": Column(cat("Thuế ", province_short(ctx, ent.commune))),
    }
    person.related["tax_code"] = mst_p
    company.related["tax_code"] = ent.mst
    both = person.concat(company)
    return both.take(rng.permutation(both.n))


_LAND_USE = ("ONT", "ODT", "LUC", "CLN", "BHK", "TMD", "SKC")


def _land(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop, ent, geo = ctx.pop, ctx.ent, ctx.geo
    age = pop.age()
    heads = np.zeros(pop.n, dtype=bool)
    heads[np.unique(pop.household, return_index=True)[1]] = True
    idx, dead = select_people(rng, ctx, heads & (age >= 25), 0.75)
    second = rng.random(len(idx)) < 0.12  # some owners hold a second parcel
    idx = np.concatenate([idx, idx[second]])
    dead = np.concatenate([dead, dead[second]])
    person = person_frame("land_parcels", ctx, idx, dead)
    n = len(idx)
    a = pa.array(idx)
    own = np.flatnonzero(ent.active)
    own = own[rng.random(len(own)) < 0.3]
    company = _enterprise_frame("land_parcels", own, ctx)
    m = len(own)
    o = pa.array(own)
    parcel_commune = np.where(
        rng.random(n + m) < 0.7,
        np.concatenate([pop.perm_commune[idx], ent.commune[own]]),
        sample_communes(rng, n + m, geo),
    )
    parcel_street = street_lines(rng, parcel_commune, geo)

    def common(frame: Frame, lo: int, hi: int) -> dict[str, Column]:
        k = hi - lo
        pc_ = parcel_commune[lo:hi]
        return {
            "SoTo": Column(rng.integers(1, 120, k), "number"),
            "SoThua": Column(rng.integers(1, 900, k), "number"),
            "MaXa": Column(geo.commune_codes.take(pa.array(pc_))),
            "DiaChiThua": Column(
                cat(parcel_street.slice(lo, k), ", ", geo.commune_names.take(pa.array(pc_)))
            ),
            "DienTich": Column(np.round(rng.lognormal(5.3, 0.9, k), 1), "number"),
            "MucDich": Column(
                pa.array(_LAND_USE).take(pa.array(rng.integers(0, len(_LAND_USE), k)))
            ),
        }

    person.columns = {
        **common(person, 0, n),
        "ChuSuDung": Column(pop.full_name.take(a), "name"),
        "LoaiGiayTo": Column(pa.array(np.full(n, "CCCD"))),
        "SoGiayTo": Column(pop.cccd.take(a), "id"),
        "NgaySinhChu": date_col(pop.dob[idx], "vi_long"),
        "DiaChiChu": address_column(person, ctx, pop.perm_commune[idx], pop.perm_street.take(a)),
        "NgayCapGCN": date_col(
            between(rng, np.full(n, ctx.ref_day - 30 * YEAR), np.full(n, ctx.ref_day - 1)),
            "dd/mm/yyyy",
            "day",
        ),
    }
    company.columns = {
        **common(company, n, n + m),
        "ChuSuDung": Column(ent.name.take(o), "name"),
        "LoaiGiayTo": Column(pa.array(np.full(m, "MST"))),
        "SoGiayTo": Column(ent.mst.take(o), "id"),
        "NgaySinhChu": Column(
            np.zeros(m, dtype=np.int32), "date", "vi_long", nulls=np.ones(m, bool)
        ),
        "DiaChiChu": address_column(company, ctx, ent.commune[own], ent.street.take(o)),
        "NgayCapGCN": date_col(
            between(rng, ent.founded[own], np.full(m, ctx.ref_day - 1)), "dd/mm/yyyy", "day"
        ),
    }
    both = person.concat(company)
    return both.take(rng.permutation(both.n))


def _civil_status(rng: np.random.Generator, ctx: Ctx) -> Frame:
    pop = ctx.pop
    ref = ctx.ref_day
    alive = pop.alive
    births = np.flatnonzero((pop.dob >= ref - 10 * YEAR) & (rng.random(pop.n) < 0.95))
    deaths = np.flatnonzero(~alive & (rng.random(pop.n) < 0.9))
    # marriages: couples whose wedding (before the first child, or at 22-30) is in the last 10 years
    wife = np.flatnonzero((pop.sex == 2) & (pop.spouse >= 0))
    first_child = np.full(pop.n, np.iinfo(np.int32).max, dtype=np.int64)
    has_mother = pop.mother >= 0
    np.minimum.at(first_child, pop.mother[has_mother], pop.dob[has_mother].astype(np.int64))
    wed = np.where(
        first_child[wife] < np.iinfo(np.int32).max,
        first_child[wife] - rng.integers(200, 1000, len(wife)),
        pop.dob[wife] + rng.integers(22 * YEAR, 30 * YEAR, len(wife)),
    )
    recent = (wed >= ref - 10 * YEAR) & (wed < ref)
    husbands = pop.spouse[wife[recent]]
    wed = wed[recent]
    idx = np.concatenate([births, deaths, husbands])
    kind = np.concatenate(
        [np.full(len(births), "KS"), np.full(len(deaths), "KT"), np.full(len(husbands), "KH")]
    )
    event = np.concatenate([pop.dob[births], pop.dod[deaths], wed]).astype(np.int32)
    f = person_frame("civil_status", ctx, idx, np.zeros(len(idx), dtype=bool))
    n = len(idx)
    a = pa.array(idx)
    is_birth = kind == "KS"
    is_wed = kind == "KH"

    def ref_col(people: np.ndarray, cond: np.ndarray, values: pa.Array) -> pa.Array:
        ok = cond & (people >= 0)
        return pc.if_else(pa.array(ok), values.take(pa.array(np.where(ok, people, 0))), NULL_STR)

    father, mother, spouse = pop.father[idx], pop.mother[idx], pop.spouse[idx]
    registered = event + rng.integers(0, 45, n)
    f.related["spouse"] = ref_col(spouse, is_wed, pop.cccd)
    f.columns = {
        "loai_su_kien": Column(pa.array(kind)),
        "ngay_dang_ky": date_col(np.minimum(registered, ref - 1), "vi_long", "day"),
        "ngay_su_kien": date_col(event, "dd.mm.yyyy", "day"),
        "ho_ten": Column(pop.full_name.take(a), "name"),
        "ngay_sinh": date_col(pop.dob[idx], "dd.mm.yyyy"),
        "gioi_tinh": Column(sex_text(pop.sex[idx], "Nam", "Nữ")),
        "so_dinh_danh": Column(pop.cccd.take(a), "id"),
        "ho_ten_cha": Column(ref_col(father, is_birth, pop.full_name)),
        "so_dinh_danh_cha": Column(ref_col(father, is_birth, pop.cccd)),
        "ho_ten_me": Column(ref_col(mother, is_birth, pop.full_name)),
        "so_dinh_danh_me": Column(ref_col(mother, is_birth, pop.cccd)),
        "ho_ten_vo_chong": Column(ref_col(spouse, is_wed, pop.full_name)),
        "so_dinh_danh_vo_chong": Column(ref_col(spouse, is_wed, pop.cccd)),
        "noi_dang_ky": Column(
            cat("UBND ", ctx.geo.commune_names.take(pa.array(pop.perm_commune[idx])))
        ),
    }
    order = np.argsort(f.columns["ngay_dang_ky"].values, kind="stable")
    return f.take(order)


SPECS = (
    SourceSpec(
        name="business_registration",
        agency="Bộ Tài chính — CSDL quốc gia về đăng ký doanh nghiệp",
        path="sources/business_registration.parquet",
        format="parquet",
        entity="enterprise",
        key="so_ho_so",
        key_prefix="DKKD",
        key_width=9,
        build=_business_registration,
        date_format="date32",
    ),
    SourceSpec(
        name="tax",
        agency="Cục Thuế — đăng ký thuế",
        path="sources/tax_registrations.csv",
        format="csv",
        entity="mixed",
        key="MA_HS",
        key_prefix="HS",
        key_width=10,
        build=_tax,
        faults=NO_NFD,
        encoding="tcvn3",
        delimiter=",",
        newline="\r\n",
        date_format="dd-mm-yy",
    ),
    SourceSpec(
        name="land_parcels",
        agency="Bộ Nông nghiệp và Môi trường — CSDL đất đai",
        path="sources/land_parcels.csv",
        format="csv",
        entity="mixed",
        key="MaThua",
        key_prefix="TD",
        key_width=10,
        build=_land,
        faults=NO_NFD,
        encoding="vni",
        delimiter=",",
        newline="\r\n",
        date_format="vi_long",
    ),
    SourceSpec(
        name="civil_status",
        agency="Bộ Tư pháp — CSDL hộ tịch điện tử",
        path="sources/civil_status_events.tsv",
        format="csv",
        entity="person",
        key="so_dang_ky",
        key_prefix="HT",
        key_width=9,
        build=_civil_status,
        faults=frozenset(
            {
                "name_typo",
                "name_unaccented",
                "name_nfd",
                "name_tone_modern",
                "date_day_month_swap",
                "date_year_only",
                "id_digit_error",
                "id_digit_dropped",
                "id_missing",
                "malformed_row",
            }
        ),
        encoding="utf-8",
        delimiter="\t",
        date_format="dd.mm.yyyy",
    ),
)

from pathlib import Path

from sqlalchemy import String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from ndc.store import Base, create_store_engine, session_factory


class _Probe(Base):
    __tablename__ = "probe_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50))


def test_rows_written_in_one_session_are_read_back_in_another(store_url: str) -> None:
    engine = create_store_engine(store_url)
    Base.metadata.create_all(engine, tables=[_Probe.__table__])
    make = session_factory(engine)
    with make.begin() as session:
        session.add_all([_Probe(label="Nguyễn Thị Hồng"), _Probe(label="Trần Văn Đức")])
    with make() as session:
        labels = session.scalars(select(_Probe.label).order_by(_Probe.id)).all()
    assert labels == ["Nguyễn Thị Hồng", "Trần Văn Đức"]
    engine.dispose()


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()

"""Serving store: SQLAlchemy engines over SQLite (embedded default) or PostgreSQL."""

from ndc.store.engine import Base, create_store_engine, session_factory

__all__ = ["Base", "create_store_engine", "session_factory"]

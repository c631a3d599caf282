"""Persistence: SQLAlchemy models, engine factory and Alembic migrations."""

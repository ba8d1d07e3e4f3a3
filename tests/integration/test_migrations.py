"""The migrations build exactly the models' schema, on both stores, step by step or at once."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from processor.store.db import make_engine
from processor.store.migrate import is_current, upgrade
from processor.store.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def empty_store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_database")()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _drift(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_upgrading_an_empty_store_gives_the_models_schema_with_no_drift(empty_store):
    upgrade(empty_store)

    assert is_current(empty_store)
    assert _drift(empty_store) == []


def test_a_store_at_the_first_migration_is_brought_to_head_and_upgrading_again_changes_nothing(empty_store):
    upgrade(empty_store, "0001")
    assert not is_current(empty_store)

    upgrade(empty_store)
    upgrade(empty_store)

    assert is_current(empty_store)
    assert _drift(empty_store) == []

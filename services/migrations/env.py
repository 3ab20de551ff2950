"""Alembic's environment: run the revisions on the connection `vanbill.services.schema` hands in.

Run programmatically (`vanbill initdb`), the connection comes in `config.attributes`. Run by the
`alembic` command for writing a new revision (see the README), it connects to DATABASE_URL or to
`-x url=...`. Offline (`--sql`) renders MySQL DDL, which is how schema.sql is produced.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from vanbill.services.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite can alter little in place: batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        **options,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    """Render the revisions as SQL text (MySQL by default) instead of running them."""
    _configure(
        url=config.attributes.get("offline_url")
        or context.get_x_argument(as_dictionary=True).get("url", "mysql+pymysql://"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the revisions on the connection given in, or on one made from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from vanbill.services.config import Settings

    url = context.get_x_argument(as_dictionary=True).get("url") or Settings().database_url
    # The command-line tool is synchronous: use the synchronous twin of the async driver.
    sync_url = url.replace("+aiomysql", "+pymysql").replace("+aiosqlite", "")
    engine = create_engine(sync_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

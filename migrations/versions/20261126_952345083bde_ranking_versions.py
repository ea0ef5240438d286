"""ranking versions: the token each call's kept ranking is keyed by, one per call

Revision ID: 952345083bde
Revises: a60b9439aebb
Create Date: 2026-11-26 10:10:09.853004
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '952345083bde'
down_revision: str | None = 'a60b9439aebb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    versions = op.create_table('ranking_versions',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_ranking_versions_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_ranking_versions'))
    )
    calls = op.get_bind().execute(sa.text("SELECT id FROM calls")).scalars().all()
    if calls:
        op.bulk_insert(versions, [{"call_id": call_id, "token": secrets.token_hex(16)}
                                  for call_id in calls])


def downgrade() -> None:
    op.drop_table('ranking_versions')

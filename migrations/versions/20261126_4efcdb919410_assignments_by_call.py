"""assignments by call, applications by library: each assignment keeps its application's
call (filled in from the application for those there are), so that a reviewer's list reads
one call's assignments by index; and an index of a library's applications, newest first

Revision ID: 4efcdb919410
Revises: 952345083bde
Create Date: 2026-11-26 10:34:37.280632
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '4efcdb919410'
down_revision: str | None = '952345083bde'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_organisation_id', ['organisation_id', 'id'], unique=False)

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_id', sa.Integer(), nullable=True))
    op.execute("UPDATE assignments SET call_id = (SELECT applications.call_id FROM applications"
               " WHERE applications.id = assignments.application_id)")
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.alter_column('call_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_assignments_reviewer_call', ['reviewer_id', 'call_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assignments_call_id_calls'), 'calls', ['call_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_call_id_calls'), type_='foreignkey')
        batch_op.drop_index('ix_assignments_reviewer_call')
        batch_op.drop_column('call_id')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_organisation_id')

"""job owner, scope and turns

Revision ID: 0006j
Revises: 0006p
Create Date: 2026-12-01 09:00:00

A job records its owner's token and county scope, and when a worker last took
it up (the queue is shared round-robin between owners).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006j'
down_revision = '0006p'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_token_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('counties', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column('turn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_created_by'), ['created_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_created_by'))
        batch_op.drop_column('turn_at')
        batch_op.drop_column('counties')
        batch_op.drop_column('owner_token_id')

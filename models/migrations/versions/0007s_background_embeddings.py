"""background embeddings

Revision ID: 0007s
Revises: 0006h
Create Date: 2026-12-01 12:10:00

An embedding revision beside the pool revision (bumped when partner vectors
computed in the background land, so rankings know they can do better), and on
each ranking how many texts it was computed without: partners whose offer was
not embedded yet, and whether the enterprise's own need text was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007s'
down_revision = '0006h'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pool_state', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('embedding_revision', sa.BigInteger(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('matchrun', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('pending_embeddings', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('query_pending', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('matchrun', schema=None) as batch_op:
        batch_op.drop_column('query_pending')
        batch_op.drop_column('pending_embeddings')
    with op.batch_alter_table('pool_state', schema=None) as batch_op:
        batch_op.drop_column('embedding_revision')

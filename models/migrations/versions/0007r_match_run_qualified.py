"""match runs count the partners that qualified; weak matches are marked

Revision ID: 0007r
Revises: 0007s
Create Date: 2026-12-01 12:50:00

How many partners of the pool reached the fit floor when the run was computed
(the answer's `qualified`); runs written before this say NULL (unknown).  A
match below the floor is stored with `weak` true and listed only on request.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007r'
down_revision = '0007s'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matchrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualified', sa.Integer(), nullable=True))
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('weak', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_column('weak')
    with op.batch_alter_table('matchrun', schema=None) as batch_op:
        batch_op.drop_column('qualified')

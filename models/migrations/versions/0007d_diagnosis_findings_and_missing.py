"""diagnosis findings and missing facts

Revision ID: 0007d
Revises: 0007r
Create Date: 2026-12-01 12:30:00

Each stored diagnosis keeps the officer's questions answered with their evidence
(`findings`) and the facts still to ask (`missing`).  Older rows get empty lists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007d'
down_revision = '0007r'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('diagnosis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('findings', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('missing', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('diagnosis', schema=None) as batch_op:
        batch_op.drop_column('missing')
        batch_op.drop_column('findings')

"""pool revision

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:25:00

One row whose revision every partner write bumps: the ranking reads check it
instead of aggregating over every partner.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'pool_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('epoch', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('revision', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'epoch': uuid.uuid4().hex, 'revision': 0}])


def downgrade() -> None:
    op.drop_table('pool_state')

"""matcher config versions

Revision ID: 0007l
Revises: 0007d
Create Date: 2026-12-01 12:50:00

Learned matcher configs (candidates until an admin activates one) and the one
row naming the active version.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007l'
down_revision = '0007d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'matcher_config_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', text(length=40), nullable=False),
        sa.Column('overlay', sa.JSON(), nullable=False),
        sa.Column('base_hash', text(length=64), nullable=False),
        sa.Column('config_hash', text(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('held_out', sa.JSON(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('compared_with', text(length=40), nullable=False),
        sa.Column('settings', sa.JSON(), nullable=False),
        sa.Column('created_by', text(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    op.create_table(
        'matcher_config_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('active_version', text(length=40), nullable=False),
        sa.Column('activated_by', text(length=200), nullable=False),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('matcher_config_state')
    op.drop_table('matcher_config_version')

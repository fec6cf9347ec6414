"""diagnosis model versions

Revision ID: 0008m
Revises: 0007l
Create Date: 2026-12-01 15:00:00

Diagnosis models trained with the officers' overrides (candidates until an admin
activates one, the artifact kept in the database) and the one row naming the
active version.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008m'
down_revision = '0007l'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'diagnosis_model_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', text(length=80), nullable=False),
        sa.Column('artifact', sa.LargeBinary(), nullable=False),
        sa.Column('model_metadata', sa.JSON(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('held_out', sa.JSON(), nullable=False),
        sa.Column('compared_with', text(length=80), nullable=False),
        sa.Column('created_by', text(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    op.create_table(
        'diagnosis_model_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('active_version', text(length=80), nullable=False),
        sa.Column('activated_by', text(length=200), nullable=False),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('diagnosis_model_state')
    op.drop_table('diagnosis_model_version')

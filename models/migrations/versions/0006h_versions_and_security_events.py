"""row versions and security events

Revision ID: 0006h
Revises: 0006j
Create Date: 2026-12-01 09:30:00

A version counter on enterprises and partners (their ETag; every write bumps it
with a conditional UPDATE), and a table of refused sign-ins and requests.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006h'
down_revision = '0006j'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('enterprise', 'partner'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('version', sa.Integer(), server_default='1', nullable=False)
            )
    op.create_table(
        'security_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=True),
        sa.Column('token_hash_prefix', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_client'), ['client'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_client'))
        batch_op.drop_index(batch_op.f('ix_security_event_kind'))
        batch_op.drop_index(batch_op.f('ix_security_event_at'))
    op.drop_table('security_event')
    for table in ('partner', 'enterprise'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')

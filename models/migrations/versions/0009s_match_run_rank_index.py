"""match (run_id, rank) index

Revision ID: 0009s
Revises: 0008m
Create Date: 2026-12-01 21:15:00

A page of a stored run is read in rank order: with this index the database walks
the run's matches by rank and stops at the page's last row, instead of reading
all hundred and sorting them (a stored `GET …/matches`, issue 17).
"""

from __future__ import annotations

from alembic import op


revision = '0009s'
down_revision = '0008m'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_match_run_rank', 'match', ['run_id', 'rank'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_match_run_rank', table_name='match')

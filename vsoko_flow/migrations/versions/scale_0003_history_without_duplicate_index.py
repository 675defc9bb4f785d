"""history entries without the index the unique constraint already gives

Revision ID: scale_0003
Revises: scale_0002
Create Date: 2026-12-05 07:00:00

`ix_history_entries_artefact_id` indexed what `uq_history_entries_artefact_id_sequence`
(artefact_id, sequence) already indexes first: every lookup of an artefact's entries uses either.
A plan's approval writes 3 000 first entries; each paid for both.
"""
from alembic import op


revision = 'scale_0003'
down_revision = 'scale_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_history_entries_artefact_id')


def downgrade() -> None:
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.create_index('ix_history_entries_artefact_id', ['artefact_id'], unique=False)

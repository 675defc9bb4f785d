"""district monitoring: expert cards, campaigns, expert groups, school cards, requests

Revision ID: district_0001
Revises: scale_0001
Create Date: 2026-12-04 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'district_0001'
down_revision = 'scale_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitoring_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('green_from', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_monitoring_cards_created_by_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_monitoring_cards_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_cards')),
    sa.UniqueConstraint('organisation_id', 'code', 'version', name=op.f('uq_monitoring_cards_organisation_id_code_version'))
    )
    op.create_index(op.f('ix_monitoring_cards_organisation_id'), 'monitoring_cards', ['organisation_id'], unique=False)
    op.create_table('monitoring_campaigns',
    sa.Column('artefact_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('data_deadline', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['artefact_id'], ['artefacts.id'], name=op.f('fk_monitoring_campaigns_artefact_id_artefacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['card_id'], ['monitoring_cards.id'], name=op.f('fk_monitoring_campaigns_card_id_monitoring_cards')),
    sa.ForeignKeyConstraint(['district_id'], ['organisations.id'], name=op.f('fk_monitoring_campaigns_district_id_organisations')),
    sa.ForeignKeyConstraint(['previous_id'], ['artefacts.id'], name=op.f('fk_monitoring_campaigns_previous_id_artefacts')),
    sa.PrimaryKeyConstraint('artefact_id', name=op.f('pk_monitoring_campaigns'))
    )
    op.create_index(op.f('ix_monitoring_campaigns_district_id'), 'monitoring_campaigns', ['district_id'], unique=False)
    op.create_table('monitoring_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('expert_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['artefacts.id'], name=op.f('fk_monitoring_groups_campaign_id_artefacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_groups'))
    )
    op.create_index(op.f('ix_monitoring_groups_campaign_id'), 'monitoring_groups', ['campaign_id'], unique=False)
    op.create_table('monitoring_school_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('percent', sa.Float(), nullable=False),
    sa.Column('zone', sa.String(length=10), nullable=False),
    sa.Column('recommendations', sa.Text(), nullable=False),
    sa.Column('filled_by', sa.Integer(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['artefacts.id'], name=op.f('fk_monitoring_school_cards_campaign_id_artefacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['filled_by'], ['users.id'], name=op.f('fk_monitoring_school_cards_filled_by_users')),
    sa.ForeignKeyConstraint(['group_id'], ['monitoring_groups.id'], name=op.f('fk_monitoring_school_cards_group_id_monitoring_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['organisations.id'], name=op.f('fk_monitoring_school_cards_school_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_school_cards')),
    sa.UniqueConstraint('campaign_id', 'school_id', name=op.f('uq_monitoring_school_cards_campaign_id_school_id'))
    )
    op.create_index(op.f('ix_monitoring_school_cards_campaign_id'), 'monitoring_school_cards', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_monitoring_school_cards_school_id'), 'monitoring_school_cards', ['school_id'], unique=False)
    op.create_table('monitoring_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answer_link', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_monitoring_requests_answered_by_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['artefacts.id'], name=op.f('fk_monitoring_requests_campaign_id_artefacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['organisations.id'], name=op.f('fk_monitoring_requests_school_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_requests'))
    )
    op.create_index(op.f('ix_monitoring_requests_campaign_id'), 'monitoring_requests', ['campaign_id'], unique=False)
    op.create_index('ix_monitoring_requests_school_open', 'monitoring_requests', ['school_id', 'answered_at'], unique=False)
    op.create_table('monitoring_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('unit_key', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['artefacts.id'], name=op.f('fk_monitoring_files_campaign_id_artefacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_monitoring_files_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['organisations.id'], name=op.f('fk_monitoring_files_school_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_files')),
    sa.UniqueConstraint('job_id', 'unit_key', name=op.f('uq_monitoring_files_job_id_unit_key'))
    )
    op.create_index(op.f('ix_monitoring_files_campaign_id'), 'monitoring_files', ['campaign_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_monitoring_files_campaign_id'), table_name='monitoring_files')
    op.drop_table('monitoring_files')
    op.drop_index('ix_monitoring_requests_school_open', table_name='monitoring_requests')
    op.drop_index(op.f('ix_monitoring_requests_campaign_id'), table_name='monitoring_requests')
    op.drop_table('monitoring_requests')
    op.drop_index(op.f('ix_monitoring_school_cards_school_id'), table_name='monitoring_school_cards')
    op.drop_index(op.f('ix_monitoring_school_cards_campaign_id'), table_name='monitoring_school_cards')
    op.drop_table('monitoring_school_cards')
    op.drop_index(op.f('ix_monitoring_groups_campaign_id'), table_name='monitoring_groups')
    op.drop_table('monitoring_groups')
    op.drop_index(op.f('ix_monitoring_campaigns_district_id'), table_name='monitoring_campaigns')
    op.drop_table('monitoring_campaigns')
    op.drop_index(op.f('ix_monitoring_cards_organisation_id'), table_name='monitoring_cards')
    op.drop_table('monitoring_cards')

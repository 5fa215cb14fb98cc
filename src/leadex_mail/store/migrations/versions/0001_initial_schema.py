"""Initial schema: subscribers, lists, events, suppression, campaigns, deliveries, test sends.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 19:30:34.294463
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('mailing_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', name='uq_mailing_list_name')
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    # The suppression hash key is random per store and lives in the store, so
    # rotating LEADEX_SECRET_KEY never orphans the suppression list. Made here,
    # inside the migration's locked transaction, so two first users cannot race.
    meta = sa.table('meta', sa.column('key', sa.String), sa.column('value', sa.Text))
    op.bulk_insert(meta, [{'key': 'suppression_key', 'value': secrets.token_hex(32)}])
    op.create_table('subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')", name='ck_subscriber_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email', name='uq_subscriber_email')
    )
    op.create_index('ix_subscriber_language', 'subscriber', ['language'], unique=False)
    op.create_index('ix_subscriber_status_created', 'subscriber', ['status', 'created_at'], unique=False)

    op.create_table('suppression',
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('address_hash')
    )
    op.create_table('test_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_slug', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('message_id', sa.String(length=400), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_test_send_recipient', 'test_send', ['recipient'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_slug', sa.String(length=200), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paused_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('running', 'paused', 'done')", name='ck_campaign_status'),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_list.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issue_slug', 'list_id', name='uq_campaign_issue_list')
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=1000), nullable=True),
    sa.Column('consent_version', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('subscribed', 'confirmed', 'unsubscribed', 'bounced', 'complained', 'erased', 'imported', 'preferences')", name='ck_event_kind'),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_list.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_event_subscriber_id', 'event', ['subscriber_id'], unique=False)

    op.create_table('subscription',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'unsubscribed')", name='ck_subscription_status'),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_list.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', 'list_id')
    )
    op.create_index('ix_subscription_list_status', 'subscription', ['list_id', 'status'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reply', sa.Text(), nullable=True),
    sa.Column('error_kind', sa.String(length=16), nullable=True),
    sa.Column('message_id', sa.String(length=400), nullable=True),
    sa.Column('uncertain', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("error_kind IN ('temporary', 'permanent', 'suppressed')", name='ck_delivery_error_kind'),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'retry_wait', 'failed', 'skipped')", name='ck_delivery_state'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'subscriber_id', name='uq_delivery_campaign_subscriber')
    )
    op.create_index('ix_delivery_campaign_state_next', 'delivery', ['campaign_id', 'state', 'next_attempt_at'], unique=False)
    op.create_index('ix_delivery_subscriber_id', 'delivery', ['subscriber_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_delivery_subscriber_id', table_name='delivery')
    op.drop_index('ix_delivery_campaign_state_next', table_name='delivery')

    op.drop_table('delivery')
    op.drop_index('ix_subscription_list_status', table_name='subscription')

    op.drop_table('subscription')
    op.drop_index('ix_event_subscriber_id', table_name='event')

    op.drop_table('event')
    op.drop_table('campaign')
    op.drop_index('ix_test_send_recipient', table_name='test_send')

    op.drop_table('test_send')
    op.drop_table('suppression')
    op.drop_index('ix_subscriber_status_created', table_name='subscriber')
    op.drop_index('ix_subscriber_language', table_name='subscriber')

    op.drop_table('subscriber')
    op.drop_table('meta')
    op.drop_table('mailing_list')

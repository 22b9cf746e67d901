"""social layer: notifications, comments, reactions, messages, invitations (issue 18)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("member_key", sa.String(length=255), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("member_key", name=op.f("uq_conversations_member_key")),
    )
    op.create_table(
        "user_blocks",
        sa.Column("blocker_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"], ["users.id"], name=op.f("fk_user_blocks_blocked_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"], ["users.id"], name=op.f("fk_user_blocks_blocker_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_user_blocks")),
    )
    op.create_index("ix_user_blocks_blocked_id", "user_blocks", ["blocked_id"], unique=False)
    op.create_table(
        "message_preferences",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("messages_from", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_message_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_message_preferences")),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "type", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("board_id", sa.BigInteger(), nullable=True),
        sa.Column("pin_id", sa.BigInteger(), nullable=True),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("actor_ids", sa.JSON(), nullable=False),
        sa.Column("actor_count", sa.BigInteger(), nullable=False),
        sa.Column("excerpt", sa.String(length=200), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("read_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("emailed_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_user_id_group_key", "notifications", ["user_id", "group_key"], unique=False
    )
    op.create_index("ix_notifications_user_id_read_at", "notifications", ["user_id", "read_at"], unique=False)
    op.create_index("ix_notifications_user_id_seq", "notifications", ["user_id", "seq"], unique=False)
    op.create_table(
        "board_invitations",
        sa.Column("board_id", sa.BigInteger(), nullable=False),
        sa.Column("inviter_id", sa.BigInteger(), nullable=False),
        sa.Column("invitee_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("responded_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_board_invitations_board_id_boards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"],
            ["users.id"],
            name=op.f("fk_board_invitations_invitee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"],
            ["users.id"],
            name=op.f("fk_board_invitations_inviter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_invitations")),
        sa.UniqueConstraint("board_id", "invitee_id", name=op.f("uq_board_invitations_board_id_invitee_id")),
    )
    op.create_index(
        "ix_board_invitations_invitee_id_status", "board_invitations", ["invitee_id", "status"], unique=False
    )
    op.create_table(
        "conversation_members",
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("last_read_message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_members_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_conversation_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f("pk_conversation_members")),
    )
    op.create_index("ix_conversation_members_user_id", "conversation_members", ["user_id"], unique=False)
    op.create_table(
        "messages",
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=True),
        sa.Column("pin_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_messages_pin_id_pins"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"], unique=False)
    op.create_table(
        "pin_comments",
        sa.Column("pin_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("edited_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_pin_comments_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["pin_comments.id"],
            name=op.f("fk_pin_comments_parent_id_pin_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_pin_comments_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pin_comments")),
    )
    op.create_index("ix_pin_comments_parent_id", "pin_comments", ["parent_id"], unique=False)
    op.create_index("ix_pin_comments_pin_id_id", "pin_comments", ["pin_id", "id"], unique=False)
    op.create_table(
        "pin_reactions",
        sa.Column("pin_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_pin_reactions_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pin_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pin_id", "user_id", name=op.f("pk_pin_reactions")),
    )


def downgrade() -> None:
    op.drop_table("pin_reactions")
    op.drop_index("ix_pin_comments_parent_id", table_name="pin_comments")
    op.drop_index("ix_pin_comments_pin_id_id", table_name="pin_comments")
    op.drop_table("pin_comments")
    op.drop_index("ix_messages_conversation_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_conversation_members_user_id", table_name="conversation_members")
    op.drop_table("conversation_members")
    op.drop_index("ix_board_invitations_invitee_id_status", table_name="board_invitations")
    op.drop_table("board_invitations")
    op.drop_index("ix_notifications_user_id_group_key", table_name="notifications")
    op.drop_index("ix_notifications_user_id_read_at", table_name="notifications")
    op.drop_index("ix_notifications_user_id_seq", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notification_settings")
    op.drop_table("message_preferences")
    op.drop_index("ix_user_blocks_blocked_id", table_name="user_blocks")
    op.drop_table("user_blocks")
    op.drop_table("conversations")

"""Accounts: users, passwords, sessions, API tokens and scopes, follows between users."""

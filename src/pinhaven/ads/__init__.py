"""Promoted pins: ad accounts, campaigns, ad groups, ads (Pinterest v5 shapes), auction, pacing, reports."""

"""Boards: boards, sections, collaborators, board follows and the privacy rules every surface uses."""

"""Which events make the graph re-derive a board: privacy changes do, renames and descriptions do not."""

from __future__ import annotations

from pinhaven.stream.graph_feed import graph_ids


def test_only_privacy_changes_of_a_board_touch_the_graph() -> None:
    assert graph_ids("board.updated", {"board_id": "7", "changes": ["privacy"]}) == (set(), {7})
    assert graph_ids("board.updated", {"board_id": "7", "changes": ["description", "name"]}) == (set(), set())
    assert graph_ids("board.updated", {"board_id": "7"}) == (set(), {7})  # written before `changes` existed
    moved = {"pin_id": "3", "board_id": "8", "moved_from_board_id": "7", "parent_pin_id": "2"}
    assert graph_ids("pin.updated", moved) == (
        {2, 3},
        set(),
    )  # the pin's links are re-derived from the database

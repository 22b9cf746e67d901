"""The unmodified `pinterest-generated-client` 0.1.12 drives the whole flow against a real `pinhaven serve`.

List responses come back as plain dicts (the client does not validate them), so every item is passed
through the client's own model deserializer here: this test is strict on shapes.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from openapi_generated.pinterest_client import ApiClient, Configuration
from openapi_generated.pinterest_client.api.boards_api import BoardsApi
from openapi_generated.pinterest_client.api.pins_api import PinsApi
from openapi_generated.pinterest_client.api.search_api import SearchApi
from openapi_generated.pinterest_client.api.user_account_api import UserAccountApi
from openapi_generated.pinterest_client.exceptions import NotFoundException
from openapi_generated.pinterest_client.model.board import Board
from openapi_generated.pinterest_client.model.board_section import BoardSection
from openapi_generated.pinterest_client.model.inline_object1 import InlineObject1
from openapi_generated.pinterest_client.model.pin import Pin
from openapi_generated.pinterest_client.model.pin_create import PinCreate
from openapi_generated.pinterest_client.model.pin_update import PinUpdate
from openapi_generated.pinterest_client.model_utils import validate_and_convert_types
from PIL import Image
from tests.integration.server import cli, running_server


def _b64(fmt: str, color: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, fmt)
    return base64.b64encode(out.getvalue()).decode()


def _deserialize(item: dict[str, Any], model: type, cfg: Configuration) -> Any:
    """Pass a raw list item through the client's strict model deserializer."""
    return validate_and_convert_types(
        item, (model,), ["item"], spec_property_naming=True, _check_type=True, configuration=cfg
    )


def _all_pages(call: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = call(*args, **kwargs)
    items += page["items"]
    while page.get("bookmark"):
        page = call(*args, bookmark=page["bookmark"], **kwargs)
        items += page["items"]
    return items


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir: Path = tmp_path_factory.mktemp("pinhaven-data")
    assert cli(data_dir, "init").returncode == 0
    created = cli(
        data_dir, "users", "create", "alice", "--email", "alice@example.test", stdin="a good password\n"
    )
    assert created.returncode == 0, created.stderr
    token = cli(data_dir, "tokens", "create", "alice", "--name", "client-test")
    assert token.returncode == 0, token.stderr
    assert (
        cli(
            data_dir, "users", "create", "bob", "--email", "bob@example.test", stdin="another password\n"
        ).returncode
        == 0
    )
    bob_token = cli(data_dir, "tokens", "create", "bob").stdout.strip()
    with running_server(data_dir) as base:
        yield base, token.stdout.strip(), bob_token


def test_full_flow_with_the_official_client(server: Any) -> None:
    base, token, bob_token = server
    cfg = Configuration(host=f"{base}/v5", access_token=token)
    with ApiClient(cfg) as api:
        boards, pins, search = BoardsApi(api), PinsApi(api), SearchApi(api)
        me = UserAccountApi(api).user_account_get()
        assert me.username == "alice" and me.account_type == "PINNER"

        kitchen = boards.boards_create(Board(name="Kitchens", description="ideas", privacy="PUBLIC"))
        secret = boards.boards_create(Board(name="Gifts", privacy="SECRET"))
        assert kitchen.privacy == "PUBLIC" and secret.privacy == "SECRET"
        section = boards.board_sections_create(kitchen.id, BoardSection(name="Tiles"))

        created = []
        for i in range(7):
            fmt = "JPEG" if i % 2 == 0 else "PNG"
            media = {
                "source_type": "image_base64",
                "content_type": f"image/{fmt.lower()}",
                "data": _b64(fmt, (30 * i, 80, 200)),
            }
            created.append(
                pins.pins_create(
                    PinCreate(
                        board_id=kitchen.id,
                        title=f"Tile idea {i}",
                        alt_text="blue tiles",
                        media_source=media,
                        link="https://example.com/tiles",
                    )
                )
            )
        secret_pin = pins.pins_create(
            PinCreate(
                board_id=secret.id,
                title="Secret gift",
                media_source={
                    "source_type": "image_base64",
                    "content_type": "image/jpeg",
                    "data": _b64("JPEG", (1, 2, 3)),
                },
            )
        )
        assert all(isinstance(p, Pin) and p.board_id == kitchen.id for p in created)
        assert created[0].media["images"]["originals"]["width"] == 320

        listed = _all_pages(boards.boards_list_pins, kitchen.id, page_size=3)
        assert [p["id"] for p in listed] == [p.id for p in reversed(created)]
        for item in listed:
            _deserialize(item, Pin, cfg)
        for item in _all_pages(boards.boards_list, page_size=1):
            _deserialize(item, Board, cfg)

        moved = pins.pins_update(created[0].id, PinUpdate(board_section_id=section.id))
        assert moved.board_section_id == section.id
        in_section = boards.board_sections_list_pins(kitchen.id, section.id)
        assert [p["id"] for p in in_section["items"]] == [created[0].id]
        for item in boards.board_sections_list(kitchen.id)["items"]:
            _deserialize(item, BoardSection, cfg)
        out = pins.pins_update(created[0].id, PinUpdate(board_section_id=None))
        assert out.board_section_id is None

        hits = search.search_user_pins_list(query="Tile idea")
        assert len(hits["items"]) == 7
        for item in hits["items"]:
            _deserialize(item, Pin, cfg)
        board_hits = search.search_user_boards_get(query="kitch")
        assert [b["id"] for b in board_hits["items"]] == [kitchen.id]

        saved = pins.pins_save(created[1].id, InlineObject1(board_id=secret.id))
        assert saved.parent_pin_id == created[1].id and saved.link == "https://example.com/tiles"

        fetched = pins.pins_get(secret_pin.id)
        assert fetched.title == "Secret gift"
        for item in _all_pages(pins.pins_list, page_size=4):
            _deserialize(item, Pin, cfg)

        assert boards.boards_get(kitchen.id).pin_count == 7
        pins.pins_delete(created[2].id)
        with pytest.raises(NotFoundException):
            pins.pins_get(created[2].id)
        assert boards.boards_get(kitchen.id).pin_count == 6

    bob_cfg = Configuration(host=f"{base}/v5", access_token=bob_token)
    with ApiClient(bob_cfg) as api:
        with pytest.raises(NotFoundException):
            PinsApi(api).pins_get(secret_pin.id)
        with pytest.raises(NotFoundException):
            BoardsApi(api).boards_get(secret.id)
        assert PinsApi(api).pins_get(created[1].id).id == created[1].id

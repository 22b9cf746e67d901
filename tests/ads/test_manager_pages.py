"""The ads manager pages: campaign → ad group → ad from a pin, spend and results, CSRF and ownership."""

from __future__ import annotations

import re

from fastapi import FastAPI
from tests.web.helpers import WebClient


def _location_id(response: object) -> str:
    return str(response.headers["location"]).split("?")[0].rsplit("/", 1)[1]  # type: ignore[attr-defined]


def test_campaign_to_ad_group_to_ad_from_a_pin(app: FastAPI) -> None:
    ann = WebClient(app)
    ann.signup("ann")
    public = ann.upload(ann.create_board("Shop"), seed=1, title="Teapot")["id"]
    secret = ann.upload(ann.create_board("Drafts", secret=True), seed=2, title="Draft")["id"]

    assert ann.post("/ads/manage/accounts", {"name": "Ann's shop"}).status_code == 303
    page = ann.get("/ads/manage")
    assert page.status_code == 200 and "Ann&#39;s shop" in page.text
    account_id = re.search(r'data-ad-account="(\d+)"', page.text).group(1)  # type: ignore[union-attr]

    made = ann.post(
        "/ads/manage/campaigns", {"ad_account_id": account_id, "name": "Tea", "daily_spend_cap": "20.5"}
    )
    assert made.status_code == 303
    campaign_id = _location_id(made)
    bad_cap = ann.post(
        "/ads/manage/campaigns", {"ad_account_id": account_id, "name": "X", "daily_spend_cap": "1.2345678"}
    )
    assert "error=" in bad_cap.headers["location"]

    assert ann.post(f"/ads/manage/campaign/{campaign_id}/ad_groups",
                    {"name": "Tea lovers", "bid": "0.80", "keywords": "tea, teapot"}).status_code == 303  # fmt: skip
    page = ann.get(f"/ads/manage/campaign/{campaign_id}")
    assert "Tea lovers" in page.text and "0.80" in page.text and "keyword: tea, teapot" in page.text
    group_id = re.search(r'data-ad-group="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    assert (
        f'value="{public}"' in page.text and f'value="{secret}"' not in page.text
    )  # secret pins not offered

    refused = ann.post(f"/ads/manage/campaign/{campaign_id}/ads", {"ad_group_id": group_id, "pin_id": secret})
    assert "secret" in refused.headers["location"]
    assert (
        ann.post(
            f"/ads/manage/campaign/{campaign_id}/ads", {"ad_group_id": group_id, "pin_id": public}
        ).status_code
        == 303
    )
    page = ann.get(f"/ads/manage/campaign/{campaign_id}")
    assert f'href="/pin/{public}"' in page.text and "data-ad=" in page.text
    assert "20.50" in page.text  # the daily cap, shown in currency units

    paused = ann.post(f"/ads/manage/campaign/{campaign_id}/status", {"status": "PAUSED"})
    assert (
        paused.status_code == 303 and "Resume campaign" in ann.get(f"/ads/manage/campaign/{campaign_id}").text
    )

    no_csrf = ann.post(f"/ads/manage/campaign/{campaign_id}/status", {"status": "ACTIVE"}, csrf=False)
    assert no_csrf.status_code == 403

    ben = WebClient(app)
    ben.signup("ben")
    assert ben.get(f"/ads/manage/campaign/{campaign_id}").status_code == 404
    assert (
        "error="
        in ben.post("/ads/manage/campaigns", {"ad_account_id": account_id, "name": "Mine"}).headers[
            "location"
        ]
    )
    assert WebClient(app).get("/ads/manage").status_code in (303, 401)
